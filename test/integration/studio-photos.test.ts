// The studio's Photos calls on the real engine: a folder of photo-like files (made from Fashion-MNIST
// test images) classified through the service as the Photos view does it, with paging by group,
// thumbnails, corrections, the CSV export and sort-into.
// Bad inputs tried: a zero-byte .jpg, a text file named .jpg (both listed as skipped with their
// reason), a relative path, a file given as the folder, an unknown model and run, a class out of
// range, correcting a skipped file, exporting over an existing file, sorting into the photo folder,
// a second run while one is going; cancel mid-run (the partial results stay usable).
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  base64ToBytes,
  type PhotoPage,
  type PhotoRunState,
  type PhotoThumbnail,
  type StudioChannel
} from '@shared/studio-api'
import { SEED_PRESET } from '@shared/training'
import { parseCsv } from '../../src/main/engine/photos/csv'
import { writePhotoLikeSet, type PhotoLikeFile } from '../../src/main/engine/photos/photo-like'
import { CSV_COLUMNS } from '../../src/main/engine/photos/results'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { StudioArgsError, StudioService } from '../../src/main/studio/studio-service'
import { runCli } from '../helpers/cli'
import { realData, realDataDir, WORKER_FILE } from '../helpers/real-data'

const N = 120
const MODEL = 'photo-model'
let tmp: string
let workspace: string
let folder: string
let photos: PhotoLikeFile[]
let service: StudioService
let run: PhotoRunState

const call = <T>(channel: StudioChannel, args: unknown = {}): Promise<T> =>
  service.call(channel, args) as Promise<T>

/** Starts a run and resolves with its final state (every state seen along the way too). */
async function runToEnd(
  args: Record<string, unknown>,
  onState?: (s: PhotoRunState) => void
): Promise<{ final: PhotoRunState; states: PhotoRunState[] }> {
  const states: PhotoRunState[] = []
  // Events of an earlier run (its last state) are not this run's.
  const started: { runId?: string } = {}
  const ended = new Promise<PhotoRunState>((resolve) => {
    const off = service.on('photos:state', (s) => {
      if (started.runId && s.runId !== started.runId) return
      states.push(structuredClone(s))
      onState?.(s)
      if (s.status !== 'running') {
        off()
        resolve(structuredClone(s))
      }
    })
  })
  started.runId = (await call<PhotoRunState>('photos:start', args)).runId
  return { final: await ended, states }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-studio-photos-'))
  workspace = join(tmp, 'workspace')
  folder = join(tmp, 'photos')
  const test = (await realData()).test
  const [trained, files] = await Promise.all([
    runCli([
      'train',
      '--epochs',
      '1',
      '--train-limit',
      '3000',
      '--out',
      join(workspace, 'models', MODEL),
      '--json'
    ]),
    writePhotoLikeSet({ ...test, outDir: folder, count: N, minSize: 100, maxSize: 200 })
  ])
  expect(trained.code, trained.stderr).toBe(0)
  photos = files
  // The bad files: a zero-byte "photo" and a text file named .jpg, one in a subfolder.
  await writeFile(join(folder, 'empty.jpg'), '')
  await mkdir(join(folder, 'sub'))
  await writeFile(join(folder, 'sub', 'notes.jpg'), 'not a photo at all\n')
  await copyFile(join(folder, photos[0]!.file), join(folder, 'sub', 'copy.png'))
  service = new StudioService({
    workspace,
    dataDir: realDataDir(),
    host: new TrainingHost({ workerFile: WORKER_FILE })
  })
}, 180_000)

afterAll(async () => {
  await service?.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('classifying a folder from the studio', () => {
  it('classifies every photo with live progress, and lists the bad files as skipped', async () => {
    const { final, states } = await runToEnd({ folder, modelId: MODEL })
    run = final
    expect(final.status).toBe('done')
    expect(final.total).toBe(N + 3)
    expect(final.processed).toBe(N + 3)
    expect(final.skipped).toBe(2)
    expect(final.photosPerSecond).toBeGreaterThan(0)
    expect(states.length).toBeGreaterThan(1)
    const c = final.counts
    expect(c.classes.reduce((a, b) => a + b, 0) + c.review + c.skipped).toBe(N + 3)
    expect(c.skipped).toBe(2)

    const skipped = await call<PhotoPage>('photos:get-results', {
      runId: run.runId,
      group: 'skipped',
      offset: 0,
      limit: 50
    })
    const reasons = Object.fromEntries(skipped.items.map((i) => [i.file, i.reason]))
    expect(reasons['empty.jpg']).toMatch(/empty/)
    expect(reasons['sub/notes.jpg']).toMatch(/not an image|not a/i)
    expect(skipped.items.every((i) => i.pixels === null && i.predicted === null)).toBe(true)
  })

  it('pages each group, with top 3 and the 28x28 input; groups add up to the run', async () => {
    const seen = new Set<number>()
    const groups = [...run.classes.map((_, i) => i), 'review', 'skipped'] as const
    for (const group of groups) {
      let offset = 0
      for (;;) {
        const page = await call<PhotoPage>('photos:get-results', {
          runId: run.runId,
          group,
          offset,
          limit: 7
        })
        for (const item of page.items) {
          expect(seen.has(item.index)).toBe(false)
          seen.add(item.index)
          if (item.status !== 'ok') continue
          if (typeof group === 'number') expect(item.predicted).toBe(group)
          else expect(item.lowConfidence).toBe(true)
          expect(item.top3).toHaveLength(3)
          expect(item.top3[0]!.classIndex).toBe(item.predicted)
          expect(item.top3[0]!.probability).toBeGreaterThanOrEqual(item.top3[1]!.probability)
          expect(base64ToBytes(item.pixels!)).toHaveLength(784)
        }
        offset += page.items.length
        if (page.items.length === 0 || offset >= page.total) break
      }
    }
    expect(seen.size).toBe(N + 3)
    // Most photos land in their own class (a 1-epoch model on 3,000 images: well above chance).
    const all = await call<PhotoPage>('photos:get-results', {
      runId: run.runId,
      group: 'all',
      offset: 0,
      limit: 200
    })
    const label = new Map(photos.map((p) => [p.file, p.label]))
    const right = all.items.filter((i) => i.predicted === label.get(i.file)).length
    expect(right / N).toBeGreaterThan(0.5)
  })

  it('serves small WebP thumbnails by run and index, null for a skipped file', async () => {
    const all = await call<PhotoPage>('photos:get-results', {
      runId: run.runId,
      group: 'all',
      offset: 0,
      limit: 200
    })
    const ok = all.items.filter((i) => i.status === 'ok').slice(0, 5)
    const bad = all.items.find((i) => i.file === 'empty.jpg')!
    const thumbs = await call<PhotoThumbnail[]>('photos:get-thumbnails', {
      runId: run.runId,
      indices: [...ok.map((i) => i.index), bad.index]
    })
    expect(thumbs.map((t) => t.index)).toEqual([...ok.map((i) => i.index), bad.index])
    for (const t of thumbs.slice(0, 5)) {
      expect(t.url).toMatch(/^data:image\/webp;base64,/)
      const meta = await sharp(Buffer.from(t.url!.split(',')[1]!, 'base64')).metadata()
      expect(meta.format).toBe('webp')
      expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(96)
    }
    expect(thumbs[5]!.url).toBeNull()
  })

  it('refuses bad arguments with a message naming the problem', async () => {
    await expect(call('photos:start', { folder: 'photos', modelId: MODEL })).rejects.toThrow(
      /absolute path/
    )
    await expect(
      call('photos:start', { folder: join(folder, 'empty.jpg'), modelId: MODEL })
    ).rejects.toThrow(/not a folder/)
    await expect(call('photos:start', { folder, modelId: 'no-such-model' })).rejects.toThrow(
      /no-such-model/
    )
    await expect(
      call('photos:get-results', { runId: 'nope', group: 'all', offset: 0, limit: 5 })
    ).rejects.toThrow(StudioArgsError)
    await expect(
      call('photos:get-results', { runId: run.runId, group: 10, offset: 0, limit: 5 })
    ).rejects.toThrow(/not one of the model's classes/)
    const skipped = await call<PhotoPage>('photos:get-results', {
      runId: run.runId,
      group: 'skipped',
      offset: 0,
      limit: 5
    })
    await expect(
      call('photos:set-class', { runId: run.runId, index: skipped.items[0]!.index, classIndex: 1 })
    ).rejects.toThrow(/skipped/)
    await expect(
      call('photos:set-class', { runId: run.runId, index: 0, classIndex: 10 })
    ).rejects.toThrow(/not one of the model's classes/)
    await expect(call('photos:sort-into', { runId: run.runId, dest: folder })).rejects.toThrow(
      /another folder/
    )
    await expect(call('app:pick-folder', {})).rejects.toThrow(/type the folder path/)
  })

  it('keeps a correction: counts move, the export has it, sort-into applies it', async () => {
    const page = await call<PhotoPage>('photos:get-results', {
      runId: run.runId,
      group: 'all',
      offset: 0,
      limit: 200
    })
    const target = page.items.find((i) => i.status === 'ok' && !i.lowConfidence)!
    const to = (target.predicted! + 1) % run.classes.length
    const before = page.counts
    const corrected = await call<{ corrected: number | null }>('photos:set-class', {
      runId: run.runId,
      index: target.index,
      classIndex: to
    })
    expect(corrected.corrected).toBe(to)
    const after = await call<PhotoPage>('photos:get-results', {
      runId: run.runId,
      group: to,
      offset: 0,
      limit: 200
    })
    expect(after.items.some((i) => i.index === target.index && i.corrected === to)).toBe(true)
    expect(after.counts.classes[to]).toBe(before.classes[to]! + 1)
    expect(after.counts.classes[target.predicted!]).toBe(before.classes[target.predicted!]! - 1)
    expect(after.counts.corrected).toBe(1)
    // On disk before the call returned.
    const journal = await readFile(join(workspace, 'photo-runs', run.runId, 'corrections.jsonl'))
    expect(journal.toString()).toContain(`"index":${target.index}`)

    const exported = await call<{ path: string; rows: number; corrected: number }>(
      'photos:export-csv',
      { runId: run.runId }
    )
    expect(exported).toMatchObject({ rows: N + 3, corrected: 1 })
    const rows = parseCsv(await readFile(exported.path, 'utf8')).records
    expect(rows[0]).toEqual([...CSV_COLUMNS, 'corrected'])
    expect(rows).toHaveLength(N + 4)
    const row = rows.find((r) => r[0] === target.file)!
    expect(row[2]).toBe(run.classes[target.predicted!])
    expect(row.at(-1)).toBe(run.classes[to])
    expect(rows.filter((r) => r.at(-1) !== '')).toHaveLength(2) // the header and the correction
    expect(rows.find((r) => r[0] === 'empty.jpg')!.slice(1, 2)).toEqual(['skipped'])

    // An explicit path is never overwritten.
    await expect(
      call('photos:export-csv', { runId: run.runId, out: exported.path })
    ).rejects.toThrow(/already exists/)

    const dest = join(tmp, 'sorted')
    const sorted = await call<{ placed: number; failed: number }>('photos:sort-into', {
      runId: run.runId,
      dest
    })
    expect(sorted).toMatchObject({ placed: N + 1, failed: 0 })
    const name = target.file.split('/').at(-1)!
    const folderName = run.classes[to]!.replace(/[/\\:*?"<>|]/g, '_')
    expect(await readdir(join(dest, folderName))).toContain(name)
    // Again: identical files are reused, nothing is copied twice or overwritten.
    await call('photos:sort-into', { runId: run.runId, dest })
    const again = await readdir(join(dest, folderName))
    expect(again.filter((f) => f.includes(' (2)'))).toEqual([])

    // Taking the correction back.
    const undone = await call<{ corrected: number | null }>('photos:set-class', {
      runId: run.runId,
      index: target.index,
      classIndex: null
    })
    expect(undone.corrected).toBeNull()
  })

  it('cancels mid-run and leaves partial results that page and export', async () => {
    // 12 copies of the folder: enough that the cancel lands mid-run on any machine.
    const big = join(tmp, 'big')
    const names = photos.map((p) => p.file)
    for (let k = 0; k < 12; k++) {
      await mkdir(join(big, `part-${String(k).padStart(2, '0')}`), { recursive: true })
      await Promise.all(
        names.map((f) =>
          copyFile(join(folder, f), join(big, `part-${String(k).padStart(2, '0')}`, f))
        )
      )
    }
    let cancelled = false
    const { final } = await runToEnd({ folder: big, modelId: MODEL }, (s) => {
      if (!cancelled && s.processed > 0) {
        cancelled = true
        void call('photos:cancel', { runId: s.runId })
      }
    })
    expect(final.status).toBe('cancelled')
    expect(final.processed).toBeGreaterThan(0)
    expect(final.processed).toBeLessThan(12 * N)
    // The folder's total, when counted before the cancel, stays: "n of total" shows what is left.
    if (final.total !== null) expect(final.total).toBe(12 * N)
    const page = await call<PhotoPage>('photos:get-results', {
      runId: final.runId,
      group: 'all',
      offset: 0,
      limit: 200
    })
    expect(page.total).toBe(final.processed)
    for (const item of page.items) {
      expect(item.status).toBe('ok')
      expect(item.predicted).not.toBeNull()
    }
    const exported = await call<{ path: string; rows: number }>('photos:export-csv', {
      runId: final.runId
    })
    expect(exported.rows).toBe(final.processed)
    const csv = await readFile(exported.path, 'utf8')
    const parsed = parseCsv(csv)
    expect(parsed.completeLength).toBe(csv.length)
    expect(parsed.records).toHaveLength(final.processed + 1)
    // The run's own CSV (the CLI's format) has every row too, each complete.
    const own = await readFile(join(workspace, 'photo-runs', final.runId, 'results.csv'), 'utf8')
    expect(parseCsv(own).records).toHaveLength(final.processed + 1)
    // And a new run may start.
    const next = await runToEnd({ folder: join(folder, 'sub'), modelId: MODEL })
    expect(next.final).toMatchObject({ status: 'done', processed: 2, skipped: 1 })
  })

  it('refuses a second run while one is going', async () => {
    const started = await call<PhotoRunState>('photos:start', { folder, modelId: MODEL })
    await expect(call('photos:start', { folder, modelId: MODEL })).rejects.toThrow(
      /already being classified|being classified/
    )
    await expect(
      call('training:start', {
        datasetId: 'fashion-mnist',
        config: { ...SEED_PRESET, epochs: 1 }
      })
    ).rejects.toThrow(/being classified/)
    await call('photos:cancel', { runId: started.runId })
  })
})
