// The studio's service on the real engine (native TensorFlow, real Fashion-MNIST, real files).
// Bad inputs tried: out-of-range and unknown arguments, an unknown dataset and channel, hyperparameters
// out of range, a model id that tries to leave the models folder, a missing and a corrupt model
// directory, a second run while one is running, cancel before the first batch, close() mid-training.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base64ToBytes, type StudioChannel, type TrainingState } from '@shared/studio-api'
import { SEED_PRESET } from '@shared/training'
import { StudioArgsError, StudioService } from '../../src/main/studio/studio-service'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { realDataDir, WORKER_FILE } from '../helpers/real-data'

let workspace: string
let service: StudioService
const call = <T>(channel: StudioChannel, args: unknown = {}): Promise<T> =>
  service.call(channel, args) as Promise<T>

/** Starts a run and resolves with its final state. */
async function trainToEnd(config = { ...SEED_PRESET, epochs: 1 }): Promise<TrainingState[]> {
  const states: TrainingState[] = []
  const ended = new Promise<void>((resolve) => {
    const off = service.on('training:state', (s) => {
      states.push(structuredClone(s))
      if (['done', 'cancelled', 'error'].includes(s.status)) {
        off()
        resolve()
      }
    })
  })
  await call('training:start', { datasetId: 'fashion-mnist', config })
  await ended
  return states
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'fs-studio-'))
  service = new StudioService({
    workspace,
    dataDir: realDataDir(),
    host: new TrainingHost({ workerFile: WORKER_FILE, progressIntervalMs: 50 })
  })
})
afterAll(async () => {
  await service.close()
  await rm(workspace, { recursive: true, force: true })
})

describe('app and datasets', () => {
  it('reports native TensorFlow', async () => {
    const info = await call<{ backend: { name: string; native: boolean } }>('app:get-info')
    expect(info.backend).toMatchObject({ name: 'tensorflow', native: true })
  })

  it('lists Fashion-MNIST with counts per class', async () => {
    const [d] =
      await call<{ id: string; counts: { train: number[]; test: number[] } }[]>('datasets:list')
    expect(d!.id).toBe('fashion-mnist')
    expect(d!.counts.train).toEqual(new Array(10).fill(6000))
    expect(d!.counts.test).toEqual(new Array(10).fill(1000))
  })

  it('pages through one class of one split', async () => {
    type Page = { total: number; items: { index: number; label: number; pixels: string }[] }
    const page = await call<Page>('datasets:get-images', {
      datasetId: 'fashion-mnist',
      split: 'train',
      label: 9,
      offset: 5990,
      limit: 50
    })
    expect(page.total).toBe(6000)
    expect(page.items).toHaveLength(10)
    expect(page.items.every((i) => i.label === 9)).toBe(true)
    expect(base64ToBytes(page.items[0]!.pixels)).toHaveLength(784)
    const all = await call<Page>('datasets:get-images', {
      datasetId: 'fashion-mnist',
      split: 'test',
      label: null,
      offset: 0,
      limit: 3
    })
    expect(all.total).toBe(10000)
    expect(all.items.map((i) => i.index)).toEqual([0, 1, 2])
  })

  it.each([
    [
      'datasets:get-images',
      { datasetId: 'fashion-mnist', split: 'train', label: 10, offset: 0, limit: 5 },
      /invalid label/
    ],
    [
      'datasets:get-images',
      { datasetId: 'fashion-mnist', split: 'valid', label: null, offset: 0, limit: 5 },
      /invalid split/
    ],
    [
      'datasets:get-images',
      { datasetId: 'fashion-mnist', split: 'train', label: null, offset: -1, limit: 5 },
      /invalid offset/
    ],
    [
      'datasets:get-images',
      { datasetId: 'cifar', split: 'train', label: null, offset: 0, limit: 5 },
      /unknown dataset "cifar"/
    ],
    ['app:get-info', { sneaky: true }, /app:get-info: invalid arguments/],
    [
      'training:start',
      { datasetId: 'fashion-mnist', config: { ...SEED_PRESET, epochs: 0 } },
      /invalid config\.epochs/
    ],
    [
      'training:start',
      { datasetId: 'fashion-mnist', config: { ...SEED_PRESET, learningRate: -1 } },
      /invalid config\.learningRate/
    ],
    ['models:get', { modelId: '../../etc' }, /invalid model id/],
    ['nope:nothing' as StudioChannel, {}, /unknown channel/]
  ])('%s rejects %j', async (channel, args, message) => {
    await expect(service.call(channel as StudioChannel, args)).rejects.toThrow(message)
    await expect(service.call(channel as StudioChannel, args)).rejects.toBeInstanceOf(
      StudioArgsError
    )
  })
})

describe('training and models', () => {
  let modelId: string

  it('trains with live state: batches within the epoch, then the epoch, then done', async () => {
    const states = await trainToEnd({ ...SEED_PRESET, epochs: 2 })
    const last = states[states.length - 1]!
    expect(last.status).toBe('done')
    expect(last.epochs).toHaveLength(2)
    // The live chart gets points during the first epoch, before it ends.
    expect(states.some((s) => s.epochs.length === 0 && s.batchPoints.length > 0)).toBe(true)
    expect(states.map((s) => s.status)).toContain('evaluating')
    modelId = last.modelId!
    expect(existsSync(join(workspace, 'models', modelId, 'model.json'))).toBe(true)
    expect(await call('training:get-state')).toMatchObject({ status: 'done', modelId })
  })

  it('lists the model and opens it with report and confusion matrix', async () => {
    const list = await call<{ id: string; metrics: { testAccuracy: number } }[]>('models:list')
    expect(list.map((m) => m.id)).toContain(modelId)
    const detail = await call<{
      confusion: number[][]
      report: { accuracy: number }
      history: unknown[]
    }>('models:get', { modelId })
    expect(detail.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000)
    expect(detail.report.accuracy).toBeGreaterThan(0.8)
    expect(detail.history).toHaveLength(2)
  })

  it.each([
    [6, 0],
    [4, 2],
    [1, 1]
  ])('drill-down of cell (true %i, predicted %i) gives exactly those test images', async (t, p) => {
    const detail = await call<{ confusion: number[][] }>('models:get', { modelId })
    type Cell = {
      items: { label: number; predicted: number; confidence: number; probabilities: number[] }[]
    }
    const cell = await call<Cell>('models:get-cell', { modelId, trueClass: t, predictedClass: p })
    expect(cell.items).toHaveLength(detail.confusion[t]![p]!)
    for (const item of cell.items) {
      expect(item.label).toBe(t)
      expect(Math.max(...item.probabilities)).toBe(item.probabilities[p])
    }
    const confidences = cell.items.map((i) => i.confidence)
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a))
  })

  it.each(['keras', 'onnx', 'tfjs'] as const)(
    'exports the model as %s into the workspace',
    async (format) => {
      const out = await call<{ path: string; bytes: number }>('models:export', { modelId, format })
      expect(out.path.startsWith(join(workspace, 'exports'))).toBe(true)
      expect(existsSync(out.path)).toBe(true)
      expect(out.bytes).toBeGreaterThan(100_000)
      // Again: the export is replaced, not refused.
      await expect(call('models:export', { modelId, format })).resolves.toMatchObject({
        path: out.path
      })
    }
  )

  it('serves a model over HTTP and stops', async () => {
    const state = await call<{ predictUrl: string; modelId: string }>('serving:start', {
      modelId,
      port: 0
    })
    expect(state.modelId).toBe(modelId)
    expect(await call('serving:get-state')).toMatchObject({ modelId })
    const res = await fetch(state.predictUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [new Array(784).fill(0.5)] })
    })
    expect(res.status).toBe(200)
    const tfjs = ((await res.json()) as { predictions: number[][] }).predictions[0]!
    // The same model on the onnx engine (the studio's engine choice), and an engine that is not one.
    const onnx = await call<{ predictUrl: string; engine: string }>('serving:start', {
      modelId,
      port: 0,
      engine: 'onnx'
    })
    expect(onnx.engine).toBe('onnx')
    const viaOnnx = await fetch(onnx.predictUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [new Array(784).fill(0.5)] })
    })
    const row = ((await viaOnnx.json()) as { predictions: number[][] }).predictions[0]!
    row.forEach((p, k) => expect(Math.abs(p - tfjs[k]!)).toBeLessThan(1e-4))
    await expect(call('serving:start', { modelId, port: 0, engine: 'tf' })).rejects.toThrow(
      /engine/
    )
    await expect(call('serving:start', { modelId: 'no-such-model', port: 0 })).rejects.toThrow(
      /not found/
    )
    expect(await call('serving:get-state')).toBeNull()
    await call('serving:start', { modelId, port: 0 })
    await call('serving:stop')
    expect(await call('serving:get-state')).toBeNull()
    await expect(fetch(state.predictUrl, { method: 'POST', body: '{}' })).rejects.toThrow()
  })

  it('refuses a second run while one is running, and cancels before the first batch', async () => {
    const before = await readdir(join(workspace, 'models'))
    const state = await call<TrainingState>('training:start', {
      datasetId: 'fashion-mnist',
      config: { ...SEED_PRESET, epochs: 30 }
    })
    await expect(
      call('training:start', { datasetId: 'fashion-mnist', config: SEED_PRESET })
    ).rejects.toThrow(/already in progress/)
    const ended = new Promise<TrainingState>((resolve) =>
      service.on('training:state', (s) => s.status === 'cancelled' && resolve(s))
    )
    await call('training:cancel', { jobId: state.jobId })
    expect((await ended).status).toBe('cancelled')
    expect(await readdir(join(workspace, 'models'))).toEqual(before)
  })

  it('explains a corrupt or missing model directory, and leaves it out of the list', async () => {
    const broken = join(workspace, 'models', 'broken-model')
    await mkdir(broken)
    await writeFile(join(broken, 'model.json'), 'not json')
    await writeFile(join(broken, 'metadata.json'), '{"format": "something else"}')
    await expect(call('models:get', { modelId: 'broken-model' })).rejects.toThrow(
      /model\.json is not valid JSON/
    )
    await expect(call('models:get', { modelId: 'gone' })).rejects.toThrow(/gone: not found/)
    const list = await call<{ id: string }[]>('models:list')
    expect(list.map((m) => m.id)).not.toContain('broken-model')
  })

  it('names the missing file when the dataset folder is gone, and recovers when it is back', async () => {
    const folder = join(workspace, 'data-that-moves')
    const own = new StudioService({
      workspace,
      dataDir: folder,
      host: new TrainingHost({ workerFile: WORKER_FILE })
    })
    try {
      await expect(own.call('datasets:list', {})).rejects.toThrow(
        /data-that-moves\/.*train-images-idx3-ubyte\.gz: file not found/
      )
      await expect(
        own.call('training:start', { datasetId: 'fashion-mnist', config: SEED_PRESET })
      ).rejects.toThrow(/file not found/)
      await symlink(realDataDir(), folder)
      const [d] = (await own.call('datasets:list', {})) as { counts: { test: number[] } }[]
      expect(d!.counts.test[0]).toBe(1000)
    } finally {
      await own.close()
    }
  })

  it('close() during training cancels the run and leaves no model behind', async () => {
    const own = new StudioService({
      workspace,
      dataDir: realDataDir(),
      host: new TrainingHost({ workerFile: WORKER_FILE })
    })
    const before = await readdir(join(workspace, 'models'))
    const started = new Promise<void>((resolve) =>
      own.on('training:state', (s) => s.batch && resolve())
    )
    await own.call('training:start', {
      datasetId: 'fashion-mnist',
      config: { ...SEED_PRESET, epochs: 30 }
    })
    await started
    await own.close()
    expect(await own.call('training:get-state', {})).toMatchObject({ status: 'cancelled' })
    expect(await readdir(join(workspace, 'models'))).toEqual(before)
  })
})
