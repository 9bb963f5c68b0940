// The layer-by-layer network behind the CNN presets, on native TensorFlow in this test process:
// its hand-written backward pass against tfjs's automatic differentiation of the same model, the
// oneDNN kernels against TensorFlow's standard ones, the saved tfjs model against the network it
// came from, weight reordering for fine-tunes, early stopping, cancel and leaks.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import type { Scalar, Tensor } from '@tensorflow/tfjs'
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import {
  CNN_BN_PRESET,
  CNN_SMALL_PRESET,
  TrainConfigSchema,
  type TrainConfig
} from '@shared/training'
import type { Tf } from '../../src/main/engine/worker/backend'
import { buildArchitecture } from '../../src/main/engine/training/architecture'
import { ConvOps } from '../../src/main/engine/training/conv-ops'
import { initialWeightsFromArtifacts } from '../../src/main/engine/training/flat-weights'
import { LayerNetwork } from '../../src/main/engine/training/layer-network'
import { evaluate, trainLayers } from '../../src/main/engine/training/layer-train-loop'
import { EagerSteps } from '../../src/main/engine/training/step-engine'
import { networkToLayersModel, saveToArtifacts } from '../../src/main/engine/training/layers-model'
import { networkFromModel } from '../../src/main/engine/training/model-to-network'
import { NetworkWeights } from '../../src/main/engine/training/network-weights'
import { RawOps } from '../../src/main/engine/training/raw-ops'
import { TrainingCancelled } from '../../src/main/engine/training/train-loop'
import { cpuHasBfloat16, DT_BFLOAT16 } from '../../src/main/engine/training/precision'
import { mulberry32 } from '../../src/main/engine/training/random'
import { firstTrainImages } from '../helpers/real-data'
import { maxRelativeError as relativeError } from '../helpers/tensor-compare'

process.env.TF_CPP_MIN_LOG_LEVEL = '2'
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-node') as Tf
const raw = new RawOps(tf.backend())
const conv = new ConvOps(tf, tf.backend())

/** A small but complete network: both paddings, two conv blocks, batch norm on conv and dense. */
const GRAD_CONFIG: TrainConfig = TrainConfigSchema.parse({
  ...CNN_BN_PRESET,
  convFilters: [4, 6],
  convsPerBlock: 2,
  hiddenUnits: [12],
  dropout: 0,
  padding: 'valid'
})

function batch(images: Uint8Array, labels: Uint8Array, n: number): { x: Tensor; y: Tensor } {
  const x = tf.tensor2d(
    Float32Array.from(images.subarray(0, n * IMAGE_PIXELS), (v) => v / 255),
    [n, IMAGE_PIXELS]
  )
  const y = tf
    .oneHot(tf.tensor1d(Int32Array.from(labels.subarray(0, n)), 'int32'), NUM_CLASSES)
    .toFloat()
  return { x, y }
}

const maxRelativeError = (a: Tensor, b: Tensor): number => relativeError(tf, a, b)

/** Cosine of the angle between two tensors seen as vectors: 1 when they point the same way. */
function cosine(a: Tensor, b: Tensor): number {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(a, b)).dataSync()[0]!
    return dot / Math.max(tf.norm(a).dataSync()[0]! * tf.norm(b).dataSync()[0]!, 1e-30)
  })
}

describe('LayerNetwork', () => {
  it('was given the oneDNN kernels on this x86-64 build', () => {
    expect(conv.oneDnn).toBe(true)
  })

  it.each([
    ['valid padding, batch norm', GRAD_CONFIG],
    [
      'same padding, biases, no batch norm',
      { ...GRAD_CONFIG, padding: 'same' as const, batchNorm: false }
    ]
  ])(
    'computes the same gradients as tfjs autodiff of the saved model (%s)',
    async (_name, config) => {
      const { images, labels } = await firstTrainImages(16)
      const network = new LayerNetwork(tf, raw, conv, buildArchitecture(config))
      const weights = network.initialWeights(7)
      const { x, y } = batch(images, labels, 16)
      const ours = tf.tidy(() => {
        const fwd = network.forward(weights, x, true)
        const { backprop } = raw.softmaxCrossEntropy(fwd.logits, y)
        return network.backward(fwd, tf.mul(backprop, 1 / 16)).map((g) => g && tf.keep(g))
      })
      const model = networkToLayersModel(tf, network.layers, weights)
      // The model in training mode (batch statistics), loss on its softmax output.
      const { grads } = tf.variableGrads(() => {
        const probs = model.apply(x, { training: true }) as Tensor
        return tf.losses.softmaxCrossEntropy(y, tf.log(probs)) as Scalar
      })
      const reference = model.trainableWeights.map((w) => grads[w.originalName] ?? grads[w.name])
      const ourTrainable = network.specs
        .map((s, i) => (s.trainable ? ours[i] : undefined))
        .filter((g) => g)
      // tfjs lists trainable weights layer by layer, which is ParamSpec order without the moving stats.
      expect(ourTrainable).toHaveLength(reference.length)
      ourTrainable.forEach((g, i) => {
        expect(g!.shape).toEqual(reference[i]!.shape)
        expect(maxRelativeError(g!, reference[i]!)).toBeLessThan(2e-3)
      })
      tf.dispose([
        ...ours.filter((g): g is Tensor => !!g),
        ...weights,
        x,
        y,
        ...Object.values(grads)
      ])
      model.dispose()
    }
  )

  // Mixed precision: the same forward and backward passes with the layer kernels in bfloat16
  // (8 significant bits). The float32 results are the reference. Logits agree within a few percent;
  // gradients are sums of many cancelling terms, so their elements can differ more, but each one
  // must point the same way (cosine > 0.95; measured 0.967-0.99998 here).
  it.runIf(cpuHasBfloat16()).each([
    ['valid padding, batch norm, 2 convs per block', GRAD_CONFIG],
    [
      'same padding, biases, dropout',
      { ...GRAD_CONFIG, padding: 'same' as const, batchNorm: false, dropout: 0.3 }
    ]
  ])(
    'computes float32 logits and gradients in mixed precision close to the float32 ones (%s)',
    async (_name, config) => {
      const { images, labels } = await firstTrainImages(32)
      const mixedRaw = new RawOps(tf.backend(), DT_BFLOAT16)
      const mixedConv = new ConvOps(tf, tf.backend(), DT_BFLOAT16)
      expect(mixedConv.oneDnn).toBe(true)
      const layers = buildArchitecture(config)
      const run = (r: RawOps, c: ConvOps): Tensor[] =>
        tf.tidy(() => {
          const network = new LayerNetwork(tf, r, c, layers)
          const w = network.initialWeights(5)
          const { x, y } = batch(images, labels, 32)
          // The same dropout masks in both runs: the same seed.
          const fwd = network.forward(w, x, true, mulberry32(9))
          const { backprop } = raw.softmaxCrossEntropy(fwd.logits, y)
          const grads = network.backward(fwd, tf.mul(backprop, 1 / 32))
          return [fwd.logits, ...grads.filter((g): g is Tensor => !!g)]
        })
      const reference = run(raw, conv)
      const mixed = run(mixedRaw, mixedConv)
      expect(mixed).toHaveLength(reference.length)
      mixed.forEach((t, i) => {
        // dataSync would throw on a bfloat16 tensor: every output is float32 again.
        expect(t.dataSync()).toBeInstanceOf(Float32Array)
        expect(t.shape).toEqual(reference[i]!.shape)
        expect(cosine(t, reference[i]!)).toBeGreaterThan(0.95)
      })
      expect(maxRelativeError(mixed[0]!, reference[0]!)).toBeLessThan(0.05)
      // Not identical either: the kernels did run in bfloat16.
      expect(maxRelativeError(mixed[0]!, reference[0]!)).toBeGreaterThan(1e-6)
      tf.dispose([...reference, ...mixed])
    }
  )

  it('gives the same results with oneDNN kernels as with the standard TensorFlow kernels', async () => {
    const { images, labels } = await firstTrainImages(32)
    process.env.FASHION_STUDIO_NO_ONEDNN = '1'
    const standard = new ConvOps(tf, tf.backend())
    delete process.env.FASHION_STUDIO_NO_ONEDNN
    expect(standard.oneDnn).toBe(false)
    const config = { ...CNN_SMALL_PRESET, convFilters: [8, 8] }
    const run = (ops: ConvOps): Tensor[] =>
      tf.tidy(() => {
        const network = new LayerNetwork(tf, raw, ops, buildArchitecture(config))
        const w = network.initialWeights(3)
        const { x, y } = batch(images, labels, 32)
        const fwd = network.forward(w, x, true)
        const { backprop } = raw.softmaxCrossEntropy(fwd.logits, y)
        return [fwd.logits, ...network.backward(fwd, backprop).filter((g): g is Tensor => !!g)]
      })
    const a = run(conv)
    const b = run(standard)
    a.forEach((t, i) => expect(maxRelativeError(t, b[i]!)).toBeLessThan(1e-4))
    tf.dispose([...a, ...b])
  })

  it('saves a tfjs model that predicts what the network predicts, and reloads its weights for a fine-tune', async () => {
    const { images, labels } = await firstTrainImages(1200)
    const config = { ...CNN_BN_PRESET, epochs: 2, convFilters: [8, 16], hiddenUnits: [32] }
    const result = trainLayers(tf, raw, conv, config, images, labels, {
      progressIntervalMs: 1e9,
      isCancelled: () => false,
      onBatch: () => undefined,
      onEpoch: () => undefined
    })
    const model = networkToLayersModel(tf, result.network.layers, result.weights)
    const { x } = batch(images, labels, 200)
    const ours = tf.tidy(() => tf.softmax(result.network.forward(result.weights, x, false).logits))
    const theirs = model.predict(x) as Tensor
    expect(maxRelativeError(theirs, ours)).toBeLessThan(1e-4)
    const artifacts = await saveToArtifacts(tf, model)
    const reloaded = result.network.splitFlat(initialWeightsFromArtifacts(artifacts, config))
    reloaded.forEach((t, i) => expect(maxRelativeError(t, result.weights[i]!)).toBe(0))
    tf.dispose([...reloaded, ...result.weights, x, ours, theirs])
    model.dispose()
  })

  it('predicts a saved model with its own kernels exactly as tfjs does, and declines other models', async () => {
    const { images, labels } = await firstTrainImages(64)
    const config = { ...CNN_BN_PRESET, convFilters: [8, 16], convsPerBlock: 2, hiddenUnits: [32] }
    const network = new LayerNetwork(tf, raw, conv, buildArchitecture(config))
    const weights = network.initialWeights(5)
    const model = networkToLayersModel(tf, network.layers, weights)
    const found = networkFromModel(model)
    expect(found?.layers).toEqual(network.layers)
    const { x } = batch(images, labels, 64)
    const rebuilt = new LayerNetwork(tf, raw, conv, found!.layers)
    const ours = tf.tidy(() => tf.softmax(rebuilt.forward(found!.weights, x, false).logits))
    const theirs = model.predict(x) as Tensor
    expect(maxRelativeError(ours, theirs)).toBeLessThan(1e-5)
    // Layers without an equivalent: a tanh convolution, an average pooling.
    const other = tf.sequential({
      layers: [
        tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] }),
        tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'tanh' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' })
      ]
    })
    expect(networkFromModel(other)).toBeNull()
    const pooled = tf.sequential({
      layers: [
        tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] }),
        tf.layers.averagePooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' })
      ]
    })
    expect(networkFromModel(pooled)).toBeNull()
    tf.dispose([...weights, x, ours, theirs])
    for (const m of [model, other, pooled]) m.dispose()
  })

  it('stops early and returns the best epoch\u2019s weights', async () => {
    const { images, labels } = await firstTrainImages(1500)
    // A learning rate this high makes the validation loss bounce, so patience 1 stops early.
    const config = {
      ...CNN_SMALL_PRESET,
      convFilters: [8],
      hiddenUnits: [16],
      epochs: 12,
      learningRate: 0.05,
      earlyStoppingPatience: 1
    }
    const best: number[] = []
    const result = trainLayers(tf, raw, conv, config, images, labels, {
      progressIntervalMs: 1e9,
      isCancelled: () => false,
      onBatch: () => undefined,
      onEpoch: () => undefined,
      onBest: (_w, epoch) => best.push(epoch)
    })
    const losses = result.history.map((h) => h.val_loss)
    expect(result.history.length).toBeLessThan(12)
    expect(result.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1)
    expect(best[best.length - 1]).toBe(result.bestEpoch)
    const weights = new NetworkWeights(tf, raw, result.network.specs, result.weights)
    const trainCount = Math.floor(1500 * (1 - config.validationSplit))
    const steps = new EagerSteps(tf, raw, result.network, result.network, weights)
    const again = evaluate(
      tf,
      steps,
      images.subarray(trainCount * IMAGE_PIXELS),
      labels.subarray(trainCount),
      true
    )
    expect(again.loss).toBeCloseTo(result.history[result.bestEpoch - 1]!.val_loss, 5)
    weights.dispose()
    tf.dispose(result.weights)
  })

  it.each([0, 3])(
    'runs exactly %i batches when cancelled after them, leaving no tensor behind',
    async (after) => {
      const { images, labels } = await firstTrainImages(2000)
      const before = tf.memory().numTensors
      let checks = 0
      let batches = 0
      expect(() =>
        trainLayers(
          tf,
          raw,
          conv,
          { ...CNN_BN_PRESET, convFilters: [8], epochs: 2, batchSize: 64 },
          images,
          labels,
          {
            progressIntervalMs: 0,
            isCancelled: () => checks++ >= after,
            onBatch: () => batches++,
            onEpoch: () => undefined
          }
        )
      ).toThrow(TrainingCancelled)
      expect(batches).toBe(after)
      expect(tf.memory().numTensors).toBe(before)
    }
  )

  it('keeps the tensor count flat from epoch to epoch', async () => {
    const { images, labels } = await firstTrainImages(1000)
    const counts: number[] = []
    const result = trainLayers(
      tf,
      raw,
      conv,
      { ...CNN_BN_PRESET, convFilters: [8], hiddenUnits: [16], epochs: 4 },
      images,
      labels,
      {
        progressIntervalMs: 1e9,
        isCancelled: () => false,
        onBatch: () => undefined,
        onEpoch: () => counts.push(tf.memory().numTensors)
      }
    )
    expect(new Set(counts).size).toBe(1)
    tf.dispose(result.weights)
  })

  it('refuses early stopping without a validation split, and a weight vector of the wrong size', async () => {
    const { images, labels } = await firstTrainImages(200)
    const hooks = {
      progressIntervalMs: 0,
      isCancelled: () => false,
      onBatch: () => undefined,
      onEpoch: () => undefined
    }
    expect(() =>
      trainLayers(
        tf,
        raw,
        conv,
        { ...CNN_SMALL_PRESET, validationSplit: 0, earlyStoppingPatience: 2 },
        images,
        labels,
        hooks
      )
    ).toThrow(/validation split/)
    expect(() =>
      trainLayers(tf, raw, conv, CNN_SMALL_PRESET, images, labels, hooks, {
        initialWeights: new Float32Array(10)
      })
    ).toThrow(/10 values/)
  })
})
