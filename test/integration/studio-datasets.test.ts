// Imported datasets through the studio's service (what the renderer calls): scanning a labelled
// folder, importing it in the background with its state events, listing and paging it, evaluating
// a model on it with the drill-down, and relabelling its images in its own journal.
// Bad inputs tried: a folder that does not exist, an unmapped subfolder, a dataset name that could
// leave the datasets folder, the reserved name, an existing name, a cancelled import, a second
// import while one runs, a cell asked before any
// evaluation, a 'train' image of an imported dataset, an unknown dataset.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  CellImages,
  DatasetEvaluationResult,
  DatasetSummary,
  FolderScan,
  ImagePage,
  ImportState,
  LabelChangeResult,
  LabelsSummary,
  StudioChannel
} from '@shared/studio-api'
import { writePhotoLikeSet, type PhotoLikeFile } from '../../src/main/engine/photos/photo-like'
import { StudioService } from '../../src/main/studio/studio-service'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { runCli } from '../helpers/cli'
import { realData, realDataDir, WORKER_FILE } from '../helpers/real-data'

const N = 80
const FOLDERS = [
  'Tops',
  'pants',
  'hoodies',
  'gowns',
  'coats',
  'flip-flops',
  'misc',
  'trainers',
  'totes',
  'boots'
]
let tmp: string
let workspace: string
let folder: string
let photos: PhotoLikeFile[]
let service: StudioService
const call = <T>(channel: StudioChannel, args: unknown = {}): Promise<T> =>
  service.call(channel, args) as Promise<T>

/** Starts an import and resolves with its final state. */
async function importFolder(args: Record<string, unknown>): Promise<ImportState> {
  const ended = new Promise<ImportState>((resolve) => {
    const off = service.on('datasets:import-state', (s) => {
      if (s.status !== 'running') {
        off()
        resolve(s)
      }
    })
  })
  const started = await call<ImportState>('datasets:import-folder', { folder, ...args })
  expect(started.status).toBe('running')
  return ended
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-studio-datasets-'))
  workspace = join(tmp, 'ws')
  folder = join(tmp, 'labelled')
  const test = (await realData()).test
  const [trained, files] = await Promise.all([
    runCli([
      'train',
      '--epochs',
      '1',
      '--train-limit',
      '5000',
      '--out',
      join(workspace, 'models', 'quick'),
      '--json'
    ]),
    writePhotoLikeSet({ ...test, outDir: join(tmp, 'flat'), count: N, minSize: 160, maxSize: 300 })
  ])
  expect(trained.code, trained.stderr).toBe(0)
  photos = files
  for (const p of photos) {
    await mkdir(join(folder, FOLDERS[p.label]!), { recursive: true })
    await rename(join(tmp, 'flat', p.file), join(folder, FOLDERS[p.label]!, p.file))
  }
  await writeFile(join(folder, 'Tops', 'empty.png'), '')
  service = new StudioService({
    workspace,
    dataDir: realDataDir(),
    host: new TrainingHost({ workerFile: WORKER_FILE })
  })
}, 120_000)
afterAll(async () => {
  await service?.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('importing a labelled folder from the studio', () => {
  it('scans the subfolders with their photo counts and the classes their names suggest', async () => {
    const scan = await call<FolderScan>('datasets:scan-folder', { folder })
    expect(scan.folders.map((f) => [f.folder, f.suggested])).toEqual([
      ['boots', 9],
      ['coats', 4],
      ['flip-flops', 5],
      ['gowns', 3],
      ['hoodies', 2],
      ['misc', null],
      ['pants', 1],
      ['Tops', 0],
      ['totes', 8],
      ['trainers', 7]
    ])
    const tops = photos.filter((p) => p.label === 0).length
    expect(scan.folders.find((f) => f.folder === 'Tops')!.images).toBe(tops + 1)
    await expect(call('datasets:scan-folder', { folder: join(tmp, 'nope') })).rejects.toThrow(
      /folder not found/
    )
  })

  it('refuses bad names at once, and an unmapped subfolder in the import state', async () => {
    await expect(
      call('datasets:import-folder', { folder, name: '../escape', mapping: {} })
    ).rejects.toThrow(/invalid dataset name/)
    await expect(
      call('datasets:import-folder', { folder, name: 'Fashion-MNIST', mapping: {} })
    ).rejects.toThrow(/reserved/)
    const failed = await importFolder({ name: 'shop', mapping: {} })
    expect(failed.status).toBe('error')
    expect(failed.error).toMatch(/"misc"/)
    expect(existsSync(join(workspace, 'datasets', 'shop'))).toBe(false)
  })

  it('cancels an import: nothing is written, and the next import may start', async () => {
    const ended = new Promise<ImportState>((resolve) => {
      const off = service.on('datasets:import-state', (s) => {
        if (s.status !== 'running') {
          off()
          resolve(s)
        }
      })
    })
    await call('datasets:import-folder', { folder, name: 'cancelled', mapping: { misc: 6 } })
    await expect(
      call('datasets:import-folder', { folder, name: 'second', mapping: { misc: 6 } })
    ).rejects.toThrow(/already running/)
    await call('datasets:cancel-import')
    const state = await ended
    expect(state.status).toBe('cancelled')
    expect(existsSync(join(workspace, 'datasets', 'cancelled'))).toBe(false)
  })

  it('imports with the mapping, then lists and pages the dataset with each image\u2019s source file', async () => {
    const done = await importFolder({ name: 'shop', mapping: { misc: 6 } })
    expect(done).toMatchObject({ status: 'done', datasetId: 'shop', done: N + 1, skipped: 1 })
    const list = await call<DatasetSummary[]>('datasets:list')
    const shop = list.find((d) => d.id === 'shop')!
    expect(list[0]!.id).toBe('fashion-mnist')
    expect(shop.kind).toBe('imported')
    expect(shop.counts.test.reduce((a, b) => a + b, 0)).toBe(N)
    expect(shop.counts.train.every((n) => n === 0)).toBe(true)
    expect(shop.imported!.skipped).toEqual([
      { file: 'Tops/empty.png', code: 'empty', reason: 'empty file (0 bytes)' }
    ])
    const page = await call<ImagePage>('datasets:get-images', {
      datasetId: 'shop',
      split: 'test',
      label: 6,
      offset: 0,
      limit: 100
    })
    expect(page.total).toBe(photos.filter((p) => p.label === 6).length)
    for (const item of page.items) expect(item.file).toMatch(/^misc\/\d{5}\.\w+$/)
    const again = await importFolder({ name: 'shop', mapping: { misc: 6 } })
    expect(again.error).toMatch(/already exists/)
  })

  it('evaluates a model on it; every cell holds exactly its images', async () => {
    await expect(
      call('datasets:get-eval-cell', {
        datasetId: 'shop',
        modelId: 'quick',
        trueClass: 0,
        predictedClass: 0
      })
    ).rejects.toThrow(/evaluate quick on shop first/)
    const e = await call<DatasetEvaluationResult>('datasets:evaluate', {
      datasetId: 'shop',
      modelId: 'quick'
    })
    expect(e.count).toBe(N)
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(N)
    expect(e.report.accuracy).toBeGreaterThan(0.6)
    for (const [t, p] of [
      [1, 1],
      [6, 0]
    ] as const) {
      const cell = await call<CellImages>('datasets:get-eval-cell', {
        datasetId: 'shop',
        modelId: 'quick',
        trueClass: t,
        predictedClass: p
      })
      expect(cell.items).toHaveLength(e.confusion[t]![p]!)
      for (const item of cell.items) {
        expect(item.label).toBe(t)
        expect(item.predicted).toBe(p)
        expect(item.file).toBeTruthy()
      }
    }
  })

  it('relabels an image in the dataset\u2019s own journal, seen after a restart; evaluate counts it', async () => {
    const r = await call<LabelChangeResult>('labels:set', {
      datasetId: 'shop',
      split: 'test',
      index: 0,
      mark: 'excluded'
    })
    expect(r.entry.seq).toBe(1)
    await expect(
      call('labels:set', { datasetId: 'shop', split: 'train', index: 0, label: 1 })
    ).rejects.toThrow(/train image #0/)
    await expect(call('labels:status', { datasetId: 'no-such-dataset' })).rejects.toThrow(
      /unknown dataset "no-such-dataset"/
    )
    const e = await call<DatasetEvaluationResult>('datasets:evaluate', {
      datasetId: 'shop',
      modelId: 'quick'
    })
    expect(e).toMatchObject({ count: N - 1, excluded: 1 })
    await service.close()
    service = new StudioService({
      workspace,
      dataDir: realDataDir(),
      host: new TrainingHost({ workerFile: WORKER_FILE })
    })
    const status = await call<LabelsSummary>('labels:status', { datasetId: 'shop' })
    expect(status).toMatchObject({ entries: 1, excluded: 1 })
    expect(status.file).toBe(join(workspace, 'labels', 'shop.jsonl'))
    const fm = await call<LabelsSummary>('labels:status', { datasetId: 'fashion-mnist' })
    expect(fm.entries).toBe(0)
  })
})
