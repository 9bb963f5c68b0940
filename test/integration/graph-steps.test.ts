// The training steps run as one TensorFlow graph per step (graph/graph-trainer.ts, the default)
// against the same steps as eager kernel calls (EagerSteps): the same data, seed, dropout masks and
// augmentation must give the same training, and the graph's session must be released however the
// training ends. Bad input tried: a weight list of the wrong length, a graph TensorFlow rejects
// (unknown op), cancelling mid-epoch, and a run that throws after the session was loaded.
import { createRequire } from 'node:module'
import { existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import type { Tensor } from '@tensorflow/tfjs'
import { CNN_BN_PRESET, TrainConfigSchema, type TrainConfig } from '@shared/training'
import type { Tf } from '../../src/main/engine/worker/backend'
import { buildArchitecture } from '../../src/main/engine/training/architecture'
import { ConvOps } from '../../src/main/engine/training/conv-ops'
import { LayerNetwork } from '../../src/main/engine/training/layer-network'
import { trainLayers, type LayerTrainResult } from '../../src/main/engine/training/layer-train-loop'
import { RawOps } from '../../src/main/engine/training/raw-ops'
import { TrainingCancelled } from '../../src/main/engine/training/train-loop'
import { cpuHasBfloat16, DT_BFLOAT16 } from '../../src/main/engine/training/precision'
import { GraphTrainer, loadGraph } from '../../src/main/engine/graph/graph-trainer'
import { GraphBuilder } from '../../src/main/engine/graph/graph-builder'
import { installOpProfile, takeOpProfile } from '../../src/main/engine/worker/op-profile'
import { firstTrainImages } from '../helpers/real-data'

process.env.TF_CPP_MIN_LOG_LEVEL = '2'
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-node') as Tf
const raw = new RawOps(tf.backend())
const conv = new ConvOps(tf, tf.backend())
const sessions = (): number =>
  (tf.backend() as unknown as { getNumOfSavedModels(): number }).getNumOfSavedModels()

/** Every layer kind: both paddings' worth of convs, batch norm, dropout, augmentation. */
const CONFIG: TrainConfig = TrainConfigSchema.parse({
  ...CNN_BN_PRESET,
  convFilters: [6, 8],
  convsPerBlock: 2,
  hiddenUnits: [16],
  dropout: 0.3,
  padding: 'valid',
  epochs: 2,
  batchSize: 32,
  augment: { shift: 2, flip: true, erase: true },
  schedule: 'cosine'
})

const hooks = {
  progressIntervalMs: 1e9,
  isCancelled: () => false,
  onBatch: () => undefined,
  onEpoch: () => undefined
}

function maxRelativeError(a: Tensor, b: Tensor): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!
    const scale = tf.max(tf.abs(b)).dataSync()[0]!
    return diff / Math.max(scale, 1e-6)
  })
}

describe('graph training steps', () => {
  it.each([
    ['batch norm, dropout, augmentation', CONFIG],
    [
      'same padding, biases, no batch norm',
      { ...CONFIG, padding: 'same' as const, batchNorm: false, convsPerBlock: 1 }
    ]
  ])('train the same network as the eager steps (%s)', async (_name, config) => {
    // 648 training images in batches of 32: the last batch has 8, so the graph's shapes must
    // follow the batch.
    const { images, labels } = await firstTrainImages(810)
    const run = (engine: 'graph' | 'eager'): LayerTrainResult =>
      trainLayers(tf, raw, conv, config, images, labels, hooks, { engine })
    const graph = run('graph')
    const eager = run('eager')
    expect(graph.weights).toHaveLength(eager.weights.length)
    // Kernels may be fused differently, so not bit for bit: 2 epochs of 21 steps stay within 0.1%
    // of each weight tensor's scale, and the epoch losses within 1e-4.
    graph.weights.forEach((w, i) => {
      expect(w.shape).toEqual(eager.weights[i]!.shape)
      expect(maxRelativeError(w, eager.weights[i]!)).toBeLessThan(1e-3)
    })
    graph.history.forEach((h, i) => {
      const e = eager.history[i]!
      expect(h.loss).toBeCloseTo(e.loss, 4)
      expect(h.val_loss).toBeCloseTo(e.val_loss, 4)
      expect(h.accuracy).toBeCloseTo(e.accuracy, 4)
    })
    // And the weights did move away from where both started.
    const start = new LayerNetwork(tf, raw, conv, buildArchitecture(config)).initialWeights(
      config.seed
    )
    expect(maxRelativeError(graph.weights[0]!, start[0]!)).toBeGreaterThan(0.01)
    tf.dispose([...graph.weights, ...eager.weights, ...start])
  })

  it.runIf(cpuHasBfloat16())(
    'trains in mixed precision as the eager bfloat16 steps do, to within bfloat16 rounding',
    async () => {
      const { images, labels } = await firstTrainImages(800)
      const compute = {
        raw: new RawOps(tf.backend(), DT_BFLOAT16),
        conv: new ConvOps(tf, tf.backend(), DT_BFLOAT16)
      }
      const config = { ...CONFIG, dropout: 0, augment: { shift: 0, flip: false, erase: false } }
      const run = (engine: 'graph' | 'eager'): LayerTrainResult =>
        trainLayers(tf, raw, conv, config, images, labels, hooks, { engine, compute })
      const graph = run('graph')
      const eager = run('eager')
      graph.history.forEach((h, i) => {
        expect(Math.abs(h.loss - eager.history[i]!.loss)).toBeLessThan(0.05)
        expect(Math.abs(h.val_accuracy - eager.history[i]!.val_accuracy)).toBeLessThan(0.05)
      })
      // The returned weights are float32 tensors that read back.
      expect(graph.weights.every((w) => w.dtype === 'float32' && w.dataSync().length > 0)).toBe(
        true
      )
      tf.dispose([...graph.weights, ...eager.weights])
    }
  )

  it('releases its TensorFlow session when training ends, is cancelled or fails', async () => {
    const { images, labels } = await firstTrainImages(300)
    const before = sessions()
    const tensors = tf.memory().numTensors
    const done = trainLayers(tf, raw, conv, { ...CONFIG, epochs: 1 }, images, labels, hooks)
    tf.dispose(done.weights)
    expect(sessions()).toBe(before)
    let checks = 0
    expect(() =>
      trainLayers(tf, raw, conv, CONFIG, images, labels, {
        ...hooks,
        isCancelled: () => checks++ >= 3
      })
    ).toThrow(TrainingCancelled)
    expect(sessions()).toBe(before)
    // A hook that throws once the session is running.
    expect(() =>
      trainLayers(tf, raw, conv, CONFIG, images, labels, {
        ...hooks,
        onEpoch: () => {
          throw new Error('disk full')
        }
      })
    ).toThrow('disk full')
    expect(sessions()).toBe(before)
    expect(tf.memory().numTensors).toBe(tensors)
  })

  it('refuses a weight list of the wrong length, and leaves no files when TensorFlow rejects a graph', () => {
    const layers = buildArchitecture(CONFIG)
    const network = new LayerNetwork(tf, raw, conv, layers)
    const initial = network.initialWeights(1)
    const before = sessions()
    expect(() => new GraphTrainer(tf, layers, initial.slice(1))).toThrow(
      `expected ${initial.length} weight tensors, got ${initial.length - 1}`
    )
    const trainer = new GraphTrainer(tf, layers, initial)
    expect(() => trainer.assign(initial.slice(2))).toThrow(/expected \d+ weight tensors, got/)
    trainer.dispose()
    trainer.dispose()
    expect(sessions()).toBe(before)
    tf.dispose(initial)

    const leftovers = (): string[] =>
      readdirSync(tmpdir()).filter((f) => f.startsWith('fashion-studio-graph-'))
    const existing = leftovers()
    const bogus = new GraphBuilder()
    bogus.op('NoSuchKernel', [], {}, 'bad')
    expect(() => loadGraph(tf, bogus)).toThrow(/NoSuchKernel/)
    expect(leftovers()).toEqual(existing)
    expect(existsSync(tmpdir())).toBe(true)
  })

  it('shows each graph step as one call in the kernel profile (FASHION_STUDIO_PROFILE_OPS)', async () => {
    const { images, labels } = await firstTrainImages(320)
    installOpProfile(tf.backend())
    const config = { ...CONFIG, epochs: 1, validationSplit: 0.5 }
    const result = trainLayers(tf, raw, conv, config, images, labels, hooks)
    tf.dispose(result.weights)
    const profile = takeOpProfile()
    // 160 training images in batches of 32: five steps.
    expect(profile).toMatch(/^graph run: step\/loss_sum\s+[\d.]+ s\s+[\d.]+%\s+5 calls$/m)
    expect(profile).toMatch(/^graph run: infer(32)?\/loss_sum .* 1 calls$/m)
  })
})
