// Labelled folders as datasets, through the built CLI: a folder of class subfolders (named as
// people name them: "tees", "Trousers", "Ankle boots", one German name that needs --map) made of
// photo-like files from Fashion-MNIST test images, imported, evaluated, relabelled and fine-tuned
// on. Bad inputs tried: an unmapped subfolder, a mapping naming a missing folder, a folder of empty
// class folders, zero-byte / text-named-.jpg / truncated JPEG files, an existing dataset name, an
// import killed (SIGKILL) and one interrupted (SIGINT) midway, an image index out of range.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NUM_CLASSES } from '@shared/classes'
import type { DatasetManifest } from '../../src/main/engine/datasets/imported-dataset'
import { writePhotoLikeSet, type PhotoLikeFile } from '../../src/main/engine/photos/photo-like'
import { lastJsonLine, runCli } from '../helpers/cli'
import { realData } from '../helpers/real-data'

const N = 500
const FOLDERS = [
  'tees',
  'Trousers',
  'pullover',
  'Dresses',
  'jackets',
  'sandals',
  'Oberhemden', // Shirt: no synonym, needs --map
  'sneakers',
  'handbags',
  'Ankle boots'
]
let tmp: string
let workspace: string
let labelled: string
let model: string
let photos: PhotoLikeFile[]
let manifest: DatasetManifest

const ws = (): string[] => ['--workspace', workspace]
const datasetDir = (name: string): string => join(workspace, 'datasets', name)

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-import-'))
  workspace = join(tmp, 'ws')
  labelled = join(tmp, 'labelled')
  model = join(tmp, 'model')
  const test = (await realData()).test
  const [trained, files] = await Promise.all([
    runCli(['train', '--epochs', '2', '--train-limit', '20000', '--out', model, '--json']),
    writePhotoLikeSet({ ...test, outDir: join(tmp, 'flat'), count: N, minSize: 200, maxSize: 400 })
  ])
  expect(trained.code, trained.stderr).toBe(0)
  photos = files
  for (const f of FOLDERS) await mkdir(join(labelled, f), { recursive: true })
  // A nested folder inside a class folder counts as that class.
  await mkdir(join(labelled, 'sneakers', 'summer'), { recursive: true })
  for (const p of photos) {
    const nested = p.label === 7 && p.index % 2 === 0 ? 'summer' : ''
    await rename(join(tmp, 'flat', p.file), join(labelled, FOLDERS[p.label]!, nested, p.file))
  }
  // Bad files, which must be skipped with their reasons.
  await writeFile(join(labelled, 'tees', 'zero.jpg'), '')
  await writeFile(
    join(labelled, 'tees', 'notes.jpg'),
    'these are not the photos you are looking for\n'.repeat(4)
  )
  const jpeg = photos.find((p) => p.file.endsWith('.jpg') && p.label === 1)!
  const bytes = await readFile(join(labelled, 'Trousers', jpeg.file))
  await writeFile(join(labelled, 'Trousers', 'cut.jpg'), bytes.subarray(0, bytes.length / 2))
  // Not photos by name: ignored without a word.
  await writeFile(join(labelled, 'tees', 'README.txt'), 'tees')
}, 180_000)
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('data import', () => {
  it('refuses an unmapped subfolder, naming it and how to map it, and writes nothing', async () => {
    const run = await runCli(['data', 'import', labelled, '--name', 'shop', ...ws()])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/no class for the subfolder "Oberhemden".*--map "Oberhemden=Shirt"/)
    expect(run.stderr).toMatch(/Oberhemden\s+\d+ photos -> UNMAPPED/)
    expect(existsSync(datasetDir('shop'))).toBe(false)
  })

  it('refuses a mapping for a folder that is not there, and an unknown class', async () => {
    const typo = await runCli([
      'data',
      'import',
      labelled,
      '--name',
      'shop',
      '--map',
      'Oberhemd=Shirt',
      ...ws()
    ])
    expect(typo.code).toBe(1)
    expect(typo.stderr).toMatch(/do not exist: "Oberhemd"/)
    const cls = await runCli([
      'data',
      'import',
      labelled,
      '--name',
      'shop',
      '--map',
      'Oberhemden=Hat',
      ...ws()
    ])
    expect(cls.code).toBe(1)
    expect(cls.stderr).toMatch(/unknown class "Hat"/)
  })

  it('refuses a folder whose class folders are all empty, and one with no subfolders', async () => {
    const empty = join(tmp, 'empty')
    await mkdir(join(empty, 'tees'), { recursive: true })
    await mkdir(join(empty, 'jeans'), { recursive: true })
    const run = await runCli(['data', 'import', empty, '--name', 'empty', ...ws()])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/no photos/)
    const flat = await runCli(['data', 'import', join(tmp, 'flat'), '--name', 'flat', ...ws()])
    expect(flat.code).toBe(1)
    expect(flat.stderr).toMatch(/has no subfolders/)
    expect(existsSync(datasetDir('empty')) || existsSync(datasetDir('flat'))).toBe(false)
  })

  it('leaves no dataset when the import is killed (SIGKILL) or interrupted (SIGINT) midway', async () => {
    for (const signal of ['SIGKILL', 'SIGINT'] as const) {
      const name = `killed-${signal.toLowerCase()}`
      let sent = false
      const run = await runCli(
        ['data', 'import', labelled, '--name', name, '--map', 'Oberhemden=Shirt', ...ws()],
        {
          onStderr: (text, kill) => {
            if (!sent && text.includes('importing ')) {
              sent = true
              kill(signal)
            }
          }
        }
      )
      expect(sent).toBe(true)
      expect(run.code).not.toBe(0)
      expect(existsSync(datasetDir(name))).toBe(false)
    }
    const list = await runCli(['data', 'list', '--json', ...ws()])
    expect(lastJsonLine<{ name: string }[]>(list.stdout).map((d) => d.name)).not.toContain(
      'killed-sigkill'
    )
  })

  it('imports every photo with its folder\u2019s class, skipping bad files with their reasons', async () => {
    const run = await runCli([
      'data',
      'import',
      labelled,
      '--name',
      'shop',
      '--map',
      'Oberhemden=Shirt',
      '--json',
      ...ws()
    ])
    expect(run.code, run.stderr).toBe(0)
    manifest = JSON.parse(await readFile(join(datasetDir('shop'), 'manifest.json'), 'utf8'))
    expect(manifest.count).toBe(N)
    expect(manifest.files).toHaveLength(N)
    const expected = new Array<number>(NUM_CLASSES).fill(0)
    for (const p of photos) expected[p.label]!++
    expect(manifest.counts).toEqual(expected)
    const skipped = Object.fromEntries(manifest.skipped.map((s) => [s.file, s.code]))
    expect(skipped).toEqual({
      'tees/zero.jpg': 'empty',
      'tees/notes.jpg': 'not-image',
      'Trousers/cut.jpg': 'truncated'
    })
    expect(manifest.folders.find((f) => f.folder === 'Oberhemden')).toMatchObject({
      label: 6,
      images: expected[6]
    })
    expect(manifest.files).toContain(
      `sneakers/summer/${photos.find((p) => p.label === 7 && p.index % 2 === 0)!.file}`
    )
    const list = lastJsonLine<{ name: string; count: number }[]>(
      (await runCli(['data', 'list', '--json', ...ws()])).stdout
    )
    expect(list).toEqual([expect.objectContaining({ name: 'shop', count: N })])
  })

  it('refuses an existing dataset name and leaves that dataset as it was', async () => {
    const before = await readFile(join(datasetDir('shop'), 'manifest.json'), 'utf8')
    const run = await runCli([
      'data',
      'import',
      labelled,
      '--name',
      'shop',
      '--map',
      'Oberhemden=Shirt',
      ...ws()
    ])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/a dataset named "shop" already exists/)
    expect(await readFile(join(datasetDir('shop'), 'manifest.json'), 'utf8')).toBe(before)
    expect((await readdir(join(workspace, 'datasets'))).filter((n) => n.startsWith('.'))).toEqual(
      []
    )
  })
})

describe('the imported dataset with evaluate, labels and finetune', () => {
  interface Evaluated {
    accuracy: number
    images: number
    confusion: number[][]
    report: { classes: { support: number }[] }
  }
  let first: Evaluated

  it('evaluates within a few points of the same model on the raw test images', async () => {
    const run = await runCli(['evaluate', '--model', model, '--dataset', 'shop', '--json', ...ws()])
    expect(run.code, run.stderr).toBe(0)
    first = lastJsonLine<Evaluated>(run.stdout)
    expect(first.images).toBe(N)
    expect(first.confusion).toHaveLength(10)
    for (const row of first.confusion) expect(row).toHaveLength(10)
    expect(first.confusion.flat().reduce((a, b) => a + b, 0)).toBe(N)
    const bin = await readFile(join(model, 'test-probabilities.bin'))
    const probs = new Float32Array(bin.buffer, bin.byteOffset, bin.length / 4)
    const labels = (await realData()).test.labels
    let correct = 0
    for (let i = 0; i < N; i++) {
      const row = probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES)
      if (row.indexOf(Math.max(...row)) === labels[i]) correct++
    }
    console.log(`accuracy: raw ${(correct / N).toFixed(4)}, imported ${first.accuracy.toFixed(4)}`)
    expect(correct / N).toBeGreaterThan(0.75)
    expect(Math.abs(correct / N - first.accuracy)).toBeLessThanOrEqual(0.05)
    expect(existsSync(join(model, 'confusion-matrix-shop.png'))).toBe(true)
  })

  it('relabels an imported image (persisted in its own journal), and evaluate counts it', async () => {
    const set = await runCli([
      'labels',
      'set',
      '--dataset',
      'shop',
      '--index',
      '0',
      '--label',
      'excluded',
      ...ws()
    ])
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toMatch(/saved seq 1: test #0/)
    const relabel = await runCli([
      'labels',
      'set',
      '--dataset',
      'shop',
      '--index',
      '1',
      '--label',
      'Bag',
      ...ws()
    ])
    expect(relabel.code, relabel.stderr).toBe(0)
    expect(existsSync(join(workspace, 'labels', 'shop.jsonl'))).toBe(true)
    expect(existsSync(join(workspace, 'labels', 'fashion-mnist.jsonl'))).toBe(false)
    const list = await runCli(['labels', 'list', '--dataset', 'shop', '--json', ...ws()])
    const rows = lastJsonLine<{ index: number; new: { label: number; mark: string | null } }[]>(
      list.stdout
    )
    expect(rows.map((r) => [r.index, r.new])).toEqual([
      [0, { label: FOLDERS.indexOf(manifest.files[0]!.split('/')[0]!), mark: 'excluded' }],
      [1, { label: 8, mark: null }]
    ])
    const out = await runCli([
      'labels',
      'set',
      '--dataset',
      'shop',
      '--index',
      String(N),
      '--label',
      'Bag',
      ...ws()
    ])
    expect(out.code).toBe(1)
    expect(out.stderr).toMatch(new RegExp(`#${N}`))

    const again = lastJsonLine<Evaluated>(
      (await runCli(['evaluate', '--model', model, '--dataset', 'shop', '--json', ...ws()])).stdout
    )
    expect(again.images).toBe(N - 1)
    const support = again.report.classes.map((c) => c.support)
    expect(support[8]).toBe(first.report.classes[8]!.support + 1)
  })

  it('fine-tunes on the imported images with a Fashion-MNIST replay, writing a new model', async () => {
    const out = join(tmp, 'tuned')
    const run = await runCli([
      'finetune',
      '--model',
      model,
      '--dataset',
      'shop',
      '--epochs',
      '1',
      '--replay',
      '0.05',
      '--out',
      out,
      '--json',
      ...ws()
    ])
    expect(run.code, run.stderr).toBe(0)
    const r = lastJsonLine<{
      modelDir: string
      comparison: {
        trainImages: number
        dataset: { id: string; images: number; accuracyAfter: number }
      }
    }>(run.stdout)
    expect(r.modelDir).toBe(out)
    expect(existsSync(join(out, 'model.json'))).toBe(true)
    expect(r.comparison.dataset).toMatchObject({ id: 'shop', images: N - 1 })
    // The imported images (x5) and 5% of the 60,000 training images, a tenth of those held out.
    expect(r.comparison.trainImages).toBe(5 * (N - 1) + 3000)
    expect(r.comparison.dataset.accuracyAfter).toBeGreaterThan(0.5)
  })
})
