// The training steps run as one TensorFlow graph per step (graph/graph-trainer.ts, the default)
// against the same steps as eager kernel calls (EagerSteps): the same data, seed, dropout masks and
// augmentation must give the same training, and the graph's session must be released however the
// training ends. Bad input tried: weight lists of the wrong length, of a wrongly shaped tensor and of
// an int32 tensor, a graph TensorFlow rejects (unknown op), cancelling mid-epoch, and a hook that
// throws once the session is running.
import { createRequire } from 'node:module'
import { readdirSync } from 'node:fs'
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
import {
  GraphTrainer,
  loadGraph,
  savedModelBackend
} from '../../src/main/engine/graph/graph-trainer'
import { GraphBuilder } from '../../src/main/engine/graph/graph-builder'
import { installOpProfile, takeOpProfile } from '../../src/main/engine/worker/op-profile'
import { firstTrainImages } from '../helpers/real-data'
import { maxRelativeError as relativeError } from '../helpers/tensor-compare'

process.env.TF_CPP_MIN_LOG_LEVEL = '2'
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-node') as Tf
const raw = new RawOps(tf.backend())
const conv = new ConvOps(tf, tf.backend())
const sessions = (): number => savedModelBackend(tf).getNumOfSavedModels()

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

const maxRelativeError = (a: Tensor, b: Tensor): number => relativeError(tf, a, b)

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
    expect(graph.history).toHaveLength(2)
    expect(eager.history).toHaveLength(2)
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
      const run = (engine: 'graph' | 'eager'): LayerTrainResult =>
        trainLayers(tf, raw, conv, CONFIG, images, labels, hooks, { engine, compute })
      const graph = run('graph')
      const eager = run('eager')
      expect(graph.history).toHaveLength(2)
      // Batch normalization's moving statistics, from bfloat16 activations (8 significant bits)
      // through 40 updates: within 10% of the largest (measured 6%).
      const specs = new LayerNetwork(tf, raw, conv, buildArchitecture(CONFIG)).specs
      const moving = specs.flatMap((s, i) => (s.role.startsWith('moving') ? [i] : []))
      expect(moving.length).toBeGreaterThan(0)
      for (const i of moving) {
        expect(maxRelativeError(graph.weights[i]!, eager.weights[i]!)).toBeLessThan(0.1)
      }
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

  it('refuses weights of the wrong number, shape or type, and leaves no files when TensorFlow rejects a graph', () => {
    const layers = buildArchitecture(CONFIG)
    const network = new LayerNetwork(tf, raw, conv, layers)
    const initial = network.initialWeights(1)
    const before = sessions()
    expect(() => new GraphTrainer(tf, layers, initial.slice(1))).toThrow(
      `expected ${initial.length} weight tensors, got ${initial.length - 1}`
    )
    const wrongShape = [...initial]
    wrongShape[0] = tf.zeros([3, 3, 1, 5])
    expect(() => new GraphTrainer(tf, layers, wrongShape)).toThrow(
      /weight 0 \(kernel of layer 1\) has shape \[3, 3, 1, 5\], expected \[3, 3, 1, 6\]/
    )
    // Right shapes, wrong element type: refused by TensorFlow once the session exists, which must
    // then be deleted.
    const wrongType = [...initial]
    wrongType[0] = tf.zeros(initial[0]!.shape, 'int32')
    expect(() => new GraphTrainer(tf, layers, wrongType)).toThrow(/Session fail to run|int32|type/)
    expect(sessions()).toBe(before)
    tf.dispose([wrongShape[0]!, wrongType[0]!])
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
    expect(() => loadGraph(savedModelBackend(tf), bogus)).toThrow(/NoSuchKernel/)
    expect(leftovers()).toEqual(existing)
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
