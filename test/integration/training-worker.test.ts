// The worker protocol against the real build and native TensorFlow: train, predict, cancel, errors,
// a crashed worker, restart, and no tensor leak. Bad inputs tried: an impossible validation split,
// images whose byte count does not match the labels, a cancel before the first batch, a worker
// killed mid-training.
import { afterAll, describe, expect, it } from 'vitest'
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import { SEED_PRESET, type EpochLogs } from '@shared/training'
import {
  TrainingCancelledError,
  TrainingHost,
  WorkerCrashedError
} from '../../src/main/engine/worker/host'
import { argmaxRows } from '../../src/main/engine/evaluation/evaluate'
import { firstTrainImages, realData, WORKER_FILE } from '../helpers/real-data'

const host = new TrainingHost({ workerFile: WORKER_FILE, progressIntervalMs: 0 })
afterAll(() => host.close())

describe('backend', () => {
  it('is native TensorFlow (the tests must not pass on a fallback)', async () => {
    const backend = await host.backend()
    expect(backend.name).toBe('tensorflow')
    expect(backend.native).toBe(true)
    expect(backend.warning).toBeUndefined()
  })
})

describe('train and predict', () => {
  it('learns from 3,000 real images far above chance, with batch and epoch events', async () => {
    const { images, labels } = await firstTrainImages(3000)
    const epochs: EpochLogs[] = []
    const tensorsAfterEpoch: number[] = []
    let batches = 0
    const job = host.train({ ...SEED_PRESET, epochs: 4 }, images, labels, {
      onBatch: (p) => {
        batches++
        expect(p.batches).toBe(Math.ceil(2400 / 64))
        expect(Number.isFinite(p.loss)).toBe(true)
      },
      onEpoch: (logs, numTensors) => {
        epochs.push(logs)
        tensorsAfterEpoch.push(numTensors)
      }
    })
    const result = await job.result
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4])
    expect(batches).toBeGreaterThanOrEqual(4)
    expect(epochs[3]!.loss).toBeLessThan(epochs[0]!.loss)
    expect(epochs[3]!.val_accuracy).toBeGreaterThan(0.7)
    // No tensor leak: the count after every epoch is the same.
    expect(new Set(tensorsAfterEpoch).size).toBe(1)
    expect(result.history).toEqual(epochs)

    const test = (await realData()).test
    const probs = await host.predict(result.artifacts, test.images.slice(0, 1000 * IMAGE_PIXELS))
    expect(probs.length).toBe(1000 * NUM_CLASSES)
    const rowSum = probs.slice(0, NUM_CLASSES).reduce((a, b) => a + b, 0)
    expect(rowSum).toBeCloseTo(1, 4)
    const predicted = argmaxRows(probs, NUM_CLASSES)
    const accuracy = predicted.filter((p, i) => p === test.labels[i]).length / 1000
    expect(accuracy).toBeGreaterThan(0.7) // chance is 0.1
  })

  it('leaves no tensors behind after training and prediction', async () => {
    const before = await host.memory()
    const { images, labels } = await firstTrainImages(500)
    const result = await host.train({ ...SEED_PRESET, epochs: 1 }, images, labels).result
    await host.predict(result.artifacts, images)
    const after = await host.memory()
    expect(after.numTensors).toBe(before.numTensors)
  })
})

describe('cancel', () => {
  it('stops soon after a cancel during training (the exact bound is tested in train-loop.test.ts)', async () => {
    const { images, labels } = await firstTrainImages(6000)
    let batchesAfterCancel = 0
    let cancelled = false
    const job = host.train({ ...SEED_PRESET, epochs: 50 }, images, labels, {
      onBatch: () => {
        if (cancelled) batchesAfterCancel++
        if (!cancelled) {
          cancelled = true
          job.cancel()
        }
      }
    })
    await expect(job.result).rejects.toBeInstanceOf(TrainingCancelledError)
    // Batch events already in flight when the flag is set still arrive; on a loaded machine a few
    // dozen may. Far less than an epoch (75 batches) of the 50 asked for.
    expect(batchesAfterCancel).toBeLessThan(75)
  })

  it('works when cancelled before the first batch, and the worker goes on serving', async () => {
    const { images, labels } = await firstTrainImages(500)
    const job = host.train(SEED_PRESET, images, labels)
    job.cancel()
    await expect(job.result).rejects.toBeInstanceOf(TrainingCancelledError)
    const next = await host.train({ ...SEED_PRESET, epochs: 1 }, images, labels).result
    expect(next.history).toHaveLength(1)
  })
})

describe('errors', () => {
  it.each([
    ['images that do not match the labels', 100, 99, /expected 99 images/],
    ['a validation split that leaves no training image', 1, 1, /leaves no training images/]
  ])('reports %s as an error of that job', async (_name, nImages, nLabels, message) => {
    const images = new Uint8Array(nImages * IMAGE_PIXELS)
    const labels = new Uint8Array(nLabels)
    await expect(
      host.train({ ...SEED_PRESET, epochs: 1, validationSplit: 0.5 }, images, labels).result
    ).rejects.toThrow(message)
  })

  it('turns a worker killed mid-training into an error, then starts a new worker', async () => {
    const crashHost = new TrainingHost({ workerFile: WORKER_FILE })
    const { images, labels } = await firstTrainImages(6000)
    const job = crashHost.train({ ...SEED_PRESET, epochs: 50 }, images, labels, {
      onBatch: () =>
        void (crashHost as unknown as { worker: { terminate(): void } }).worker.terminate()
    })
    await expect(job.result).rejects.toBeInstanceOf(WorkerCrashedError)
    const backend = await crashHost.backend()
    expect(backend.name).toBe('tensorflow')
    const result = await crashHost.train(
      { ...SEED_PRESET, epochs: 1 },
      images.slice(0, 500 * IMAGE_PIXELS),
      labels.slice(0, 500)
    ).result
    expect(result.history).toHaveLength(1)
    await crashHost.close()
  })
})

describe('fallback', () => {
  it('runs on WebAssembly with a visible warning when native TensorFlow is unavailable', async () => {
    // The worker's environment is copied from ours when it starts.
    process.env.FASHION_STUDIO_BACKEND = 'wasm'
    const wasmHost = new TrainingHost({ workerFile: WORKER_FILE })
    try {
      const backend = await wasmHost.backend()
      expect(backend).toMatchObject({ name: 'wasm', native: false })
      expect(backend.warning).toMatch(/WebAssembly/)
      const { images, labels } = await firstTrainImages(600)
      const before = await wasmHost.memory()
      const result = await wasmHost.train({ ...SEED_PRESET, epochs: 2 }, images, labels).result
      expect(result.history[1]!.val_accuracy).toBeGreaterThan(0.4)
      expect((await wasmHost.memory()).numTensors).toBe(before.numTensors)
    } finally {
      delete process.env.FASHION_STUDIO_BACKEND
      await wasmHost.close()
    }
  })
})

describe('loaded models', () => {
  it('predicts with a kept model from uint8 and float input alike, and after a worker crash', async () => {
    const own = new TrainingHost({ workerFile: WORKER_FILE })
    try {
      const { images, labels } = await firstTrainImages(1000)
      const { artifacts } = await own.train({ ...SEED_PRESET, epochs: 1 }, images, labels).result
      const few = images.slice(0, 5 * IMAGE_PIXELS)
      const oneOff = await own.predict(artifacts, few)
      await own.loadModel('m', artifacts)
      expect(Array.from(await own.predictLoaded('m', few))).toEqual(Array.from(oneOff))
      const scaled = Float32Array.from(few, (v) => v / 255)
      const fromFloat = await own.predictLoaded('m', scaled)
      fromFloat.forEach((p, i) => expect(p).toBeCloseTo(oneOff[i]!, 6))
      await own.close() // the worker goes; the next prediction starts a new one and reloads 'm'
      expect(Array.from(await own.predictLoaded('m', few))).toEqual(Array.from(oneOff))
      await own.unloadModel('m')
      await expect(own.predictLoaded('m', few)).rejects.toThrow(/no model loaded as "m"/)
      await expect(own.predictLoaded('m', new Uint8Array(100))).rejects.toThrow(/no model loaded/)
    } finally {
      await own.close()
    }
  })
})
