// The studio's label calls on the real engine: corrections applied to the dataset views and counts,
// undo/redo, history and CSV, the search for label errors and the fine-tune, through StudioService.
// Bad inputs tried: a class that does not exist, an image out of range, a call with neither label
// nor mark, an edit on a stale view, two windows correcting the same image at once, an undo guarded
// by a seq that is no longer the newest, a damaged journal, a torn last line, a second job while
// one runs.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  CsvExport,
  DatasetSummary,
  HistoryPage,
  ImagePage,
  LabelChangeResult,
  ModelDetail,
  StudioChannel,
  SuggestionPage,
  SuggestionsState,
  TrainingState
} from '@shared/studio-api'
import { SEED_PRESET } from '@shared/training'
import { StudioArgsError, StudioService } from '../../src/main/studio/studio-service'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { realDataDir, WORKER_FILE } from '../helpers/real-data'

const D = 'fashion-mnist'
let workspace: string
let service: StudioService
const call = <T>(channel: StudioChannel, args: unknown = {}): Promise<T> =>
  service.call(channel, args) as Promise<T>
const set = (args: Record<string, unknown>) =>
  call<LabelChangeResult>('labels:set', { datasetId: D, ...args })

/** Resolves with the first state of `event` for which `done` holds. */
function until<T>(
  event: 'training:state' | 'suggestions:state',
  done: (s: T) => boolean
): Promise<T> {
  return new Promise((resolve) => {
    const off = service.on(event, (s) => {
      if (done(s as T)) {
        off()
        resolve(structuredClone(s) as T)
      }
    })
  })
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'fs-studio-labels-'))
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

describe('corrections in the dataset views', () => {
  it('shows a corrected label with its original in pages, single images and counts', async () => {
    // Training image 5 is a Pullover (2) in the files.
    const r = await set({ split: 'train', index: 5, label: 6, expected: { label: 2, mark: null } })
    expect(r.entry).toMatchObject({ seq: 1, op: 'set', old: { label: 2 }, new: { label: 6 } })
    expect(r.image).toMatchObject({ index: 5, label: 6, originalLabel: 2 })
    expect(r.status).toMatchObject({ entries: 1, relabelled: 1, canUndo: true, undoSeq: 1 })
    const [d] = await call<DatasetSummary[]>('datasets:list')
    expect(d!.counts.train[6]).toBe(6001)
    expect(d!.counts.train[2]).toBe(5999)
    expect(d!.originalCounts.train[2]).toBe(6000)
    const shirts = await call<ImagePage>('datasets:get-images', {
      datasetId: D,
      split: 'train',
      label: 6,
      offset: 0,
      limit: 500
    })
    expect(shirts.total).toBe(6001)
    expect(shirts.items.find((i) => i.index === 5)).toMatchObject({ label: 6, originalLabel: 2 })
    const one = await call('datasets:get-image', { datasetId: D, split: 'train', index: 5 })
    expect(one).toMatchObject({ label: 6, originalLabel: 2 })
    const plain = await call('datasets:get-image', { datasetId: D, split: 'train', index: 6 })
    expect(plain).not.toHaveProperty('originalLabel')
  })

  it('marks images ambiguous or excluded, keeping their class', async () => {
    const r = await set({ split: 'test', index: 3, mark: 'excluded' })
    expect(r.image).toMatchObject({ label: 1, mark: 'excluded' })
    expect(r.status.excluded).toBe(1)
    const cleared = await set({ split: 'test', index: 3, mark: null })
    expect(cleared.image).not.toHaveProperty('mark')
  })

  it.each([
    [{ split: 'train', index: 1, label: 10 }, /labels:set: invalid label/],
    [{ split: 'train', index: 60000, label: 1 }, /train image #60000 does not exist/],
    [{ split: 'test', index: 10000, mark: 'ambiguous' }, /test image #10000 does not exist/],
    [{ split: 'train', index: 1 }, /give a label, a mark, or both/],
    [{ split: 'train', index: 1, label: 1, reason: 'guess' }, /invalid reason/]
  ])('refuses %j', async (args, message) => {
    await expect(set(args)).rejects.toThrow(message)
    await expect(set(args)).rejects.toBeInstanceOf(StudioArgsError)
  })

  it('refuses an edit on a stale view: of two windows correcting one image, one wins', async () => {
    const seen = { label: 0, mark: null } // test image 2 is a Trouser (1), not a T-shirt
    await expect(set({ split: 'test', index: 2, label: 3, expected: seen })).rejects.toThrow(
      /changed meanwhile \(it is now Trouser, not T-shirt\/top\)/
    )
    const both = await Promise.allSettled([
      set({ split: 'test', index: 5, label: 3, expected: { label: 1, mark: null } }),
      set({ split: 'test', index: 5, label: 4, expected: { label: 1, mark: null } })
    ])
    expect(both.map((b) => b.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(
      String((both.find((b) => b.status === 'rejected') as PromiseRejectedResult).reason)
    ).toMatch(/changed meanwhile/)
  })

  it('undoes and redoes, guarded by the seq the window saw', async () => {
    const status = await call<{ undoSeq: number }>('labels:status', { datasetId: D })
    await expect(call('labels:undo', { datasetId: D, expectedSeq: 1 })).rejects.toThrow(
      /newest correction to undo is seq \d+/
    )
    const undone = await call<LabelChangeResult>('labels:undo', {
      datasetId: D,
      expectedSeq: status.undoSeq
    })
    expect(undone.entry).toMatchObject({ op: 'undo', target: status.undoSeq })
    const redone = await call<LabelChangeResult>('labels:redo', { datasetId: D })
    expect(redone.entry).toMatchObject({ op: 'redo', target: status.undoSeq })
  })

  it('lists the history newest first, filtered, and exports it as CSV', async () => {
    const page = await call<HistoryPage>('labels:history', {
      datasetId: D,
      offset: 0,
      limit: 10
    })
    expect(page.rows.map((r) => r.seq)).toEqual(
      [...page.rows.map((r) => r.seq)].sort((a, b) => b - a)
    )
    expect(page.rows[0]!.pixels.length).toBeGreaterThan(100)
    const train = await call<HistoryPage>('labels:history', {
      datasetId: D,
      split: 'train',
      offset: 0,
      limit: 10
    })
    expect(train.rows.map((r) => r.index)).toEqual([5])
    const csv = await call<CsvExport>('labels:export-csv', { datasetId: D, save: true })
    expect(csv.rows).toBe(page.total)
    expect(csv.csv.split('\r\n')[0]).toMatch(/^seq,timestamp,op,/)
    expect(csv.path).toBe(join(workspace, 'exports', csv.filename))
    expect(await readFile(csv.path!, 'utf8')).toBe(csv.csv)
  })
})

describe('a journal that cannot be used, or was cut short', () => {
  it('keeps the dataset views working and says why corrections are off', async () => {
    const ws = join(workspace, 'broken')
    await mkdir(join(ws, 'labels'), { recursive: true })
    await writeFile(join(ws, 'labels', 'fashion-mnist.jsonl'), 'not json\n')
    const own = new StudioService({ workspace: ws, dataDir: realDataDir() })
    try {
      const [d] = (await own.call('datasets:list', {})) as DatasetSummary[]
      expect(d!.labels.error).toMatch(/line 1 is not valid JSON/)
      expect(d!.counts.train[0]).toBe(6000)
      await expect(
        own.call('labels:set', { datasetId: D, split: 'train', index: 1, label: 2 })
      ).rejects.toThrow(/line 1 is not valid JSON/)
    } finally {
      await own.close()
    }
  })

  it('reports a torn last line it cut away', async () => {
    const file = join(workspace, 'labels', 'fashion-mnist.jsonl')
    const ws = join(workspace, 'torn')
    await mkdir(join(ws, 'labels'), { recursive: true })
    await writeFile(join(ws, 'labels', 'fashion-mnist.jsonl'), await readFile(file))
    await appendFile(join(ws, 'labels', 'fashion-mnist.jsonl'), '{"v":1,"se')
    const own = new StudioService({ workspace: ws, dataDir: realDataDir() })
    try {
      const s = (await own.call('labels:status', { datasetId: D })) as { recovered: string }
      expect(s.recovered).toMatch(/torn last line \(10 bytes/)
    } finally {
      await own.close()
    }
  })
})

describe('label errors and fine-tuning', () => {
  it('searches for likely label errors with progress and lists them for the review queue', async () => {
    const done = until<SuggestionsState>('suggestions:state', (s) => s.status !== 'running')
    const sawFold2 = until<SuggestionsState>('suggestions:state', (s) => s.fold === 2)
    const started = await call<SuggestionsState>('suggestions:start', {
      datasetId: D,
      folds: 2,
      epochs: 1,
      trainLimit: 1500
    })
    expect(started.status).toBe('running')
    await expect(call('training:start', { datasetId: D, config: SEED_PRESET })).rejects.toThrow(
      /search for label errors is running/
    )
    await sawFold2
    const end = await done
    expect(end).toMatchObject({ status: 'done', folds: 2, trainCount: 1500 })
    const page = await call<SuggestionPage>('suggestions:get', {
      datasetId: D,
      offset: 0,
      limit: 5
    })
    expect(page.total).toBe(end.issues)
    expect(page.items).toHaveLength(5)
    const first = page.items[0]!
    expect(first.suggested).not.toBe(first.given)
    expect(first.probabilities).toHaveLength(10)
    expect(first.current).toEqual({ label: first.given, mark: null })
    expect(page.meta).toMatchObject({ folds: 2, epochs: 1, trainCount: 1500 })
    const selfConf = page.items.map((i) => i.selfConfidence)
    expect(selfConf).toEqual([...selfConf].sort((a, b) => a - b))
  })

  it('fine-tunes a model on the corrections into a new model, the parent untouched', async () => {
    const trained = until<TrainingState>('training:state', (s) => s.status === 'done')
    await call('training:start', { datasetId: D, config: { ...SEED_PRESET, epochs: 1 } })
    const parentId = (await trained).modelId!
    const parentDir = join(workspace, 'models', parentId)
    const digest = async () =>
      Promise.all(
        (await readdir(parentDir)).sort().map(async (f) =>
          createHash('sha256')
            .update(await readFile(join(parentDir, f)))
            .digest('hex')
        )
      )
    const before = await digest()
    const done = until<TrainingState>(
      'training:state',
      (s) => s.kind === 'finetune' && s.status === 'done'
    )
    const state = await call<TrainingState>('finetune:start', {
      modelId: parentId,
      epochs: 1,
      replay: 0.05
    })
    expect(state).toMatchObject({ kind: 'finetune', parentModelId: parentId })
    const end = await done
    expect(end.epochs).toHaveLength(1)
    const detail = await call<ModelDetail>('models:get', { modelId: end.modelId })
    expect(detail.summary.parent).toBe(parentId)
    expect(detail.finetune).toMatchObject({ parent: parentId, epochs: 1, correctedTrain: 1 })
    expect(detail.finetune!.after.corrected.count).toBeGreaterThan(0)
    expect(await digest()).toEqual(before)
    expect(existsSync(join(workspace, 'models', end.modelId!, 'finetune.json'))).toBe(true)
    await expect(call('finetune:start', { modelId: 'no-such-model' })).rejects.toThrow(/not found/)
  })
})
