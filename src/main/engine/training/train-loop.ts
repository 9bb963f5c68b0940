// The training loop of the seed experiment, Keras semantics: the last `validationSplit` of the
// training images are held out (not shuffled in), the rest are shuffled every epoch, and the reported
// loss/accuracy are means over the epoch's batches. Written by hand rather than with model.fit():
// fit() reads the loss back from TensorFlow after every batch and runs per-batch callbacks, while this
// loop keeps running sums on the device and reads them only for a (throttled) progress event.
import type { Tensor, Tensor2D } from '@tensorflow/tfjs'
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import type { EpochLogs, TrainConfig } from '@shared/training'
import type { Tf } from '../worker/backend'
import { DenseNetwork } from './dense-network'
import { EpochSums } from './epoch-sums'
import { mulberry32, shuffledIndices } from './random'
import type { RawOps } from './raw-ops'
import { NativeWeights, TfjsWeights, type TrainableWeights } from './trainable-weights'

export interface TrainHooks {
  onBatch(p: {
    epoch: number
    batch: number
    batches: number
    loss: number
    accuracy: number
  }): void
  onEpoch(logs: EpochLogs): void
  /** Checked before every batch; returning true stops training within one batch. */
  isCancelled(): boolean
  progressIntervalMs: number
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled')
  }
}

interface Split {
  x: Tensor2D
  oneHot: Tensor2D
  labels: Tensor
  count: number
}

/**
 * Trains a DenseNetwork on the given images, from `initialWeights` (fine-tuning: a flat vector in
 * DenseNetwork order) or a fresh initialisation; the caller disposes the returned weights.
 */
export function trainDense(
  tf: Tf,
  ops: RawOps | undefined,
  config: TrainConfig,
  images: Uint8Array,
  labels: Uint8Array,
  hooks: TrainHooks,
  initialWeights?: Float32Array
): { network: DenseNetwork; weights: Tensor; history: EpochLogs[] } {
  const count = labels.length
  if (images.length !== count * IMAGE_PIXELS) {
    throw new Error(
      `expected ${count} images of ${IMAGE_PIXELS} pixels, got ${images.length} bytes`
    )
  }
  const trainCount = Math.floor(count * (1 - config.validationSplit))
  if (trainCount < 1)
    throw new Error(`validation split ${config.validationSplit} leaves no training images`)
  const network = new DenseNetwork(tf, IMAGE_PIXELS, config.hiddenUnits, NUM_CLASSES)
  if (initialWeights && initialWeights.length !== network.parameterCount) {
    throw new Error(
      `initial weights have ${initialWeights.length} values, the ${network.layerSizes.join('-')} network has ${network.parameterCount}`
    )
  }
  const train = makeSplit(tf, images, labels, 0, trainCount)
  const val = trainCount < count ? makeSplit(tf, images, labels, trainCount, count) : undefined
  const initial = initialWeights
    ? tf.tensor1d(initialWeights, 'float32')
    : network.initialWeights(config.seed)
  const adam = { learningRate: config.learningRate }
  const weights: TrainableWeights = ops
    ? new NativeWeights(tf, ops, network, initial, adam)
    : new TfjsWeights(tf, network, initial, adam)
  initial.dispose()
  const sums = new EpochSums(tf)
  const random = mulberry32(config.seed)
  const history: EpochLogs[] = []
  const batches = Math.ceil(trainCount / config.batchSize)
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const started = performance.now()
      sums.reset()
      const order = tf.tensor1d(shuffledIndices(trainCount, random), 'int32')
      for (let b = 0; b < batches; b++) {
        if (hooks.isCancelled()) {
          order.dispose()
          throw new TrainingCancelled()
        }
        const start = b * config.batchSize
        const size = Math.min(config.batchSize, trainCount - start)
        tf.tidy(() => {
          const idx = tf.slice(order, start, size)
          const x = tf.gather(train.x, idx)
          const y = tf.gather(train.oneHot, idx)
          const l = tf.gather(train.labels, idx)
          const out = weights.step(x, y, l, size)
          sums.add(out.lossSum, out.correct)
          tf.dispose(out.correct) // TfjsWeights keeps it out of tidy (see its step)
        })
        sums.batchDone(size, hooks, epoch, b + 1, batches)
      }
      order.dispose()
      const { loss, accuracy } = sums.means(trainCount)
      const seconds = (performance.now() - started) / 1000
      const v = val ? evaluateSplit(tf, ops, network, weights, val) : { loss: NaN, accuracy: NaN }
      const logs: EpochLogs = {
        epoch,
        loss,
        accuracy,
        val_loss: v.loss,
        val_accuracy: v.accuracy,
        seconds
      }
      history.push(logs)
      hooks.onEpoch(logs)
    }
    return { network, weights: weights.read(), history }
  } finally {
    weights.dispose()
    sums.dispose()
    for (const t of [train.x, train.oneHot, train.labels]) t.dispose()
    if (val) for (const t of [val.x, val.oneHot, val.labels]) t.dispose()
  }
}

/** Loss and accuracy over a whole split, in chunks so memory stays small. */
function evaluateSplit(
  tf: Tf,
  ops: RawOps | undefined,
  network: DenseNetwork,
  weights: TrainableWeights,
  split: Split
): { loss: number; accuracy: number } {
  const chunk = 2000
  let loss = 0
  let correct = 0
  // One read per evaluation, not per chunk.
  const flat = weights.read()
  for (let start = 0; start < split.count; start += chunk) {
    const size = Math.min(chunk, split.count - start)
    const [l, c] = tf.tidy(() => {
      const x = tf.slice(split.x, [start, 0], [size, IMAGE_PIXELS])
      const y = tf.slice(split.oneHot, [start, 0], [size, NUM_CLASSES])
      const logits = network.logits(flat, x)
      const perExample = ops
        ? ops.softmaxCrossEntropy(logits, y).loss
        : tf.losses.softmaxCrossEntropy(y, logits, undefined, tf.Reduction.NONE)
      const hits = tf.equal(tf.argMax(logits, 1), tf.slice(split.labels, start, size))
      return [tf.sum(perExample), tf.sum(tf.cast(hits, 'float32'))]
    })
    loss += l!.dataSync()[0]!
    correct += c!.dataSync()[0]!
    tf.dispose([l!, c!])
  }
  flat.dispose()
  return { loss: loss / split.count, accuracy: correct / split.count }
}

function makeSplit(
  tf: Tf,
  images: Uint8Array,
  labels: Uint8Array,
  from: number,
  to: number
): Split {
  const count = to - from
  const pixels = new Float32Array(count * IMAGE_PIXELS)
  const src = images.subarray(from * IMAGE_PIXELS, to * IMAGE_PIXELS)
  for (let i = 0; i < pixels.length; i++) pixels[i] = src[i]! / 255
  const labelTensor = tf.tensor1d(Int32Array.from(labels.subarray(from, to)), 'int32')
  return {
    x: tf.tensor2d(pixels, [count, IMAGE_PIXELS]),
    oneHot: tf.tidy(() => tf.cast(tf.oneHot(labelTensor, NUM_CLASSES), 'float32')) as Tensor2D,
    labels: labelTensor,
    count
  }
}
