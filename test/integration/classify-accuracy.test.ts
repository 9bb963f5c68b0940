// Photo pipeline end to end on known labels: Fashion-MNIST test images turned into photo-like files
// (dark garments on tinted backdrops with wide margins; JPEG, PNG, WebP, alpha, EXIF, CMYK, 16-bit)
// and classified by the built CLI must score within 3 points of the same model on the raw images.
// The photos are smaller than real ones (garment 200-450 px) to keep the test fast; `npm run bench`
// classifies 0.3-1 MP JPEGs.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NUM_CLASSES } from '@shared/classes'
import { parseCsv } from '../../src/main/engine/photos/csv'
import { writePhotoLikeSet, type PhotoLikeFile } from '../../src/main/engine/photos/photo-like'
import type { PhotoResult } from '../../src/main/engine/photos/results'
import { lastJsonLine, runCli, type CliRun } from '../helpers/cli'
import { realData } from '../helpers/real-data'

const N = 1500
let tmp: string
let photos: PhotoLikeFile[]
let classified: CliRun
let classes: string[]

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-classify-acc-'))
  const test = (await realData()).test
  // Training (a child process) and writing the photos (libvips threads) overlap.
  const [trained, files] = await Promise.all([
    runCli(['train', '--epochs', '3', '--out', join(tmp, 'model'), '--json']),
    writePhotoLikeSet({
      ...test,
      outDir: join(tmp, 'photos'),
      count: N,
      minSize: 200,
      maxSize: 450
    })
  ])
  expect(trained.code, trained.stderr).toBe(0)
  photos = files
  classes = JSON.parse(await readFile(join(tmp, 'model', 'metadata.json'), 'utf8')).classes
  classified = await runCli([
    'classify',
    join(tmp, 'photos'),
    '--model',
    join(tmp, 'model'),
    '--out',
    join(tmp, 'classified.csv'),
    '--json'
  ])
}, 120_000)
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('classify on photo-like versions of the test set', () => {
  it('classifies every photo, skipping none', () => {
    expect(classified.code, classified.stderr).toBe(0)
    const { summary } = lastJsonLine<{ summary: { classified: number; skipped: number } }>(
      classified.stdout
    )
    expect(summary).toMatchObject({ classified: N, skipped: 0 })
  })

  it('stays within 3 points of the model on the raw test images', async () => {
    const label = new Map(photos.map((p) => [p.file, p.label]))
    const results = classified.stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l) as PhotoResult)
    expect(results).toHaveLength(N)
    const photoAccuracy =
      results.filter((r) => classes.indexOf(r.class!) === label.get(r.file)).length / N
    // The same model's probabilities on the raw test images, saved by `train` (evaluate's numbers).
    const bin = await readFile(join(tmp, 'model', 'test-probabilities.bin'))
    const probs = new Float32Array(bin.buffer, bin.byteOffset, bin.length / 4)
    const labels = (await realData()).test.labels
    let correct = 0
    for (let i = 0; i < N; i++) {
      const row = probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES)
      if (row.indexOf(Math.max(...row)) === labels[i]) correct++
    }
    const rawAccuracy = correct / N
    console.log(`accuracy: raw ${rawAccuracy.toFixed(4)}, photo-like ${photoAccuracy.toFixed(4)}`)
    expect(rawAccuracy).toBeGreaterThan(0.8)
    expect(Math.abs(rawAccuracy - photoAccuracy)).toBeLessThanOrEqual(0.03)
  })

  it('writes the same results to the CSV, one complete row per photo', async () => {
    const rows = parseCsv(await readFile(join(tmp, 'classified.csv'), 'utf8')).records
    expect(rows).toHaveLength(N + 1)
    const byFile = new Map(rows.slice(1).map((r) => [r[0], r]))
    for (const p of photos.slice(0, 50)) {
      const row = byFile.get(p.file)!
      expect(row[1]).toBe('ok')
      expect(classes).toContain(row[2])
      expect(Number(row[3])).toBeGreaterThanOrEqual(Number(row[6]))
    }
  })
})
