// The training loop for every preset beyond the plain seed network: CNNs, batch normalization,
// dropout, augmentation, learning-rate schedules, early stopping with the best weights restored.
// Keras semantics where Keras has them: the last `validationSplit` of the images is held out
// before shuffling, reported loss/accuracy are epoch means over batches, validation runs in
// inference mode. Loss and hit counts stay on the device between the (throttled) progress events.
import type { Tensor } from '@tensorflow/tfjs'
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import type { EpochLogs, TrainConfig } from '@shared/training'
import type { Tf } from '../worker/backend'
import { buildArchitecture } from './architecture'
import { fillBatch, fillTargets } from './augment'
import type { ConvOps } from './conv-ops'
import { LayerNetwork } from './layer-network'
import { NetworkWeights } from './network-weights'
import { EpochSums } from './epoch-sums'
import { mulberry32, shuffledIndices } from './random'
import type { RawOps } from './raw-ops'
import { EagerSteps, eagerStepsRequested, type Batch, type StepEngine } from './step-engine'
import { GraphTrainer } from '../graph/graph-trainer'
import { DT_FLOAT } from './precision'
import { learningRateAt, ValidationWatch } from './schedule'
import { TrainingCancelled, type TrainHooks } from './train-loop'

export interface LayerTrainHooks extends TrainHooks {
  /** Called with the weights of each new best epoch (lowest validation loss); a checkpoint. */
  onBest?(weights: Tensor[], epoch: number): void
}

export interface TestSet {
  images: Uint8Array
  labels: Uint8Array
}

export interface LayerTrainResult {
  network: LayerNetwork
  /** Final weights in the network's ParamSpec order (the best epoch's with early stopping). */
  weights: Tensor[]
  history: EpochLogs[]
  /** Epoch whose weights were returned. */
  bestEpoch: number
}

export function trainLayers(
  tf: Tf,
  raw: RawOps,
  conv: ConvOps,
  config: TrainConfig,
  images: Uint8Array,
  labels: Uint8Array,
  hooks: LayerTrainHooks,
  options: {
    initialWeights?: Float32Array
    test?: TestSet
    /** Kernels for the training steps when they differ from `raw`/`conv` (mixed precision). */
    compute?: { raw: RawOps; conv: ConvOps }
    /**
     * How the steps run: one TensorFlow graph per step (default; fuses kernels and runs
     * independent ones in parallel) or eager kernel calls (FASHION_STUDIO_EAGER_STEPS=1).
     */
    engine?: 'graph' | 'eager'
  } = {}
): LayerTrainResult {
  const count = labels.length
  if (images.length !== count * IMAGE_PIXELS) {
    throw new Error(
      `expected ${count} images of ${IMAGE_PIXELS} pixels, got ${images.length} bytes`
    )
  }
  const trainCount = Math.floor(count * (1 - config.validationSplit))
  if (trainCount < 1)
    throw new Error(`validation split ${config.validationSplit} leaves no training images`)
  const hasValidation = trainCount < count
  if (!hasValidation && (config.earlyStoppingPatience > 0 || config.reduceOnPlateau)) {
    throw new Error(
      'early stopping and reduce-on-plateau watch the validation loss: set a validation split above 0'
    )
  }
  const layers = buildArchitecture(config)
  // The returned network (and the test set) are float32; steps and validation use `compute`.
  const network = new LayerNetwork(tf, raw, conv, layers)
  const initial = options.initialWeights
    ? network.splitFlat(options.initialWeights)
    : network.initialWeights(config.seed)
  const engineKind = options.engine ?? (eagerStepsRequested() ? 'eager' : 'graph')
  let engine: StepEngine
  try {
    engine =
      engineKind === 'graph'
        ? new GraphTrainer(tf, layers, initial, options.compute?.raw.computeDtype ?? DT_FLOAT)
        : new EagerSteps(
            tf,
            raw,
            network,
            options.compute
              ? new LayerNetwork(tf, options.compute.raw, options.compute.conv, layers)
              : network,
            new NetworkWeights(tf, raw, network.specs, initial)
          )
  } finally {
    tf.dispose(initial)
  }
  const watch = new ValidationWatch(config)
  const random = mulberry32(config.seed)
  const batchPixels = new Float32Array(config.batchSize * IMAGE_PIXELS)
  const batchTargets = new Float32Array(config.batchSize * NUM_CLASSES)
  const batchLabels = new Int32Array(config.batchSize)
  const sums = new EpochSums(tf)
  const batches = Math.ceil(trainCount / config.batchSize)
  const totalSteps = batches * config.epochs
  const history: EpochLogs[] = []
  let best: { weights: Tensor[]; epoch: number } | undefined
  let step = 0
  let lr = config.learningRate
  const trainingStarted = performance.now()
  let evaluationSeconds = 0
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const started = performance.now()
      sums.reset()
      const order = shuffledIndices(trainCount, random)
      for (let b = 0; b < batches; b++) {
        if (hooks.isCancelled()) throw new TrainingCancelled()
        const start = b * config.batchSize
        const size = Math.min(config.batchSize, trainCount - start)
        const idx = order.subarray(start, start + size)
        fillBatch(batchPixels, images, idx, config.augment, random)
        fillTargets(batchTargets, labels, idx, config.labelSmoothing)
        for (let k = 0; k < size; k++) batchLabels[k] = labels[idx[k]!]!
        lr = learningRateAt(config.schedule, config.learningRate, step++, totalSteps) * watch.factor
        tf.tidy(() => {
          const batch: Batch = {
            x: tf.tensor2d(batchPixels.subarray(0, size * IMAGE_PIXELS), [size, IMAGE_PIXELS]),
            y: tf.tensor2d(batchTargets.subarray(0, size * NUM_CLASSES), [size, NUM_CLASSES]),
            labels: tf.tensor1d(batchLabels.subarray(0, size), 'int32')
          }
          const { lossSum, correct } = engine.step(batch, lr, random)
          sums.add(lossSum, correct)
        })
        sums.batchDone(size, hooks, epoch, b + 1, batches)
      }
      const seconds = (performance.now() - started) / 1000
      const v = hasValidation
        ? // In the steps' precision, as Keras validates under a mixed policy; the test set and
          // the saved model's predictions below use float32.
          evaluate(
            tf,
            engine,
            images.subarray(trainCount * IMAGE_PIXELS),
            labels.subarray(trainCount),
            false
          )
        : { loss: NaN, accuracy: NaN }
      const logs: EpochLogs = {
        epoch,
        ...sums.means(trainCount),
        val_loss: v.loss,
        val_accuracy: v.accuracy,
        seconds,
        lr
      }
      // Time to accuracy leaves out the test-set evaluation that only the benchmark asks for.
      logs.elapsed = (performance.now() - trainingStarted) / 1000 - evaluationSeconds
      if (options.test) {
        const t0 = performance.now()
        logs.test_accuracy = evaluate(
          tf,
          engine,
          options.test.images,
          options.test.labels,
          true
        ).accuracy
        evaluationSeconds += (performance.now() - t0) / 1000
      }
      history.push(logs)
      hooks.onEpoch(logs)
      if (hasValidation) {
        const { improved, stop } = watch.update(v.loss)
        if (improved && config.earlyStoppingPatience > 0) {
          if (best) tf.dispose(best.weights)
          best = { weights: engine.read(), epoch }
          hooks.onBest?.(best.weights, epoch)
        }
        if (stop) break
      }
    }
    if (best) engine.assign(best.weights)
    return { network, weights: engine.read(), history, bestEpoch: best?.epoch ?? history.length }
  } finally {
    if (best) tf.dispose(best.weights)
    engine.dispose()
    sums.dispose()
  }
}

/** Inference-mode loss and accuracy over a set of images, in chunks so memory stays small. */
export function evaluate(
  tf: Tf,
  engine: StepEngine,
  images: Uint8Array,
  labels: Uint8Array,
  float32: boolean
): { loss: number; accuracy: number } {
  const count = labels.length
  const chunk = 1000
  const pixels = new Float32Array(chunk * IMAGE_PIXELS)
  const targets = new Float32Array(chunk * NUM_CLASSES)
  let loss = 0
  let correct = 0
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start)
    const idx = Int32Array.from({ length: size }, (_, k) => start + k)
    fillBatch(pixels, images, idx, null, Math.random)
    fillTargets(targets, labels, idx, 0)
    const sums = tf.tidy(() => {
      const s = engine.inferSums(
        {
          x: tf.tensor2d(pixels.subarray(0, size * IMAGE_PIXELS), [size, IMAGE_PIXELS]),
          y: tf.tensor2d(targets.subarray(0, size * NUM_CLASSES), [size, NUM_CLASSES]),
          labels: tf.tensor1d(Int32Array.from(labels.subarray(start, start + size)), 'int32')
        },
        float32
      )
      return [s.lossSum, s.correct]
    })
    loss += sums[0]!.dataSync()[0]!
    correct += sums[1]!.dataSync()[0]!
    tf.dispose(sums)
  }
  return { loss: loss / count, accuracy: correct / count }
}
