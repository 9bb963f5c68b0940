import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import {
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_FILES,
  loadFashionMnist,
  missingFiles,
  resolveDataDir
} from '../../src/main/engine/data/fashion-mnist'
import { DatasetError, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from '../../src/main/engine/data/idx'

const F = FASHION_MNIST_FILES

/** A gzip'd IDX file: magic, dims, then `data`. */
function idxGz(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length))
  header.setUint32(0, magic)
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d))
  return gzipSync(Buffer.concat([new Uint8Array(header.buffer), data]))
}

/** Pixels whose values identify the image (every pixel of image i is i + 1). */
const pixels = (count: number, size = IMAGE_PIXELS): Uint8Array => {
  const out = new Uint8Array(count * size)
  for (let i = 0; i < count; i++) out.fill(i + 1, i * size, (i + 1) * size)
  return out
}

interface FixtureOptions {
  trainLabels?: number[]
  testLabels?: number[]
  trainImages?: number
  rows?: number
  skip?: string[]
}

let root = ''
let fixtureId = 0

/** Writes a tiny dataset folder (5 train + 3 test images by default) and returns its path. */
async function fixture(options: FixtureOptions = {}): Promise<string> {
  const dir = join(root, `fixture-${fixtureId++}`)
  await mkdir(dir)
  const rows = options.rows ?? 28
  const trainLabels = options.trainLabels ?? [9, 0, 3, 5, 1]
  const testLabels = options.testLabels ?? [2, 8, 7]
  const trainImages = options.trainImages ?? trainLabels.length
  const files: Record<string, Buffer> = {
    [F.trainImages]: idxGz(
      IDX_IMAGES_MAGIC,
      [trainImages, rows, 28],
      pixels(trainImages, rows * 28)
    ),
    [F.trainLabels]: idxGz(IDX_LABELS_MAGIC, [trainLabels.length], Uint8Array.from(trainLabels)),
    [F.testImages]: idxGz(IDX_IMAGES_MAGIC, [testLabels.length, 28, 28], pixels(testLabels.length)),
    [F.testLabels]: idxGz(IDX_LABELS_MAGIC, [testLabels.length], Uint8Array.from(testLabels))
  }
  for (const [name, content] of Object.entries(files)) {
    if (!options.skip?.includes(name)) await writeFile(join(dir, name), content)
  }
  return dir
}

/** Awaits `promise` and returns the DatasetError it rejects with. */
async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(DatasetError)
  return err as DatasetError
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fashion-mnist-test-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('loadFashionMnist', () => {
  it('loads a good 5 train + 3 test fixture', async () => {
    const dir = await fixture()
    const data = await loadFashionMnist(dir)
    expect(data.dir).toBe(dir)
    expect(data.train.count).toBe(5)
    expect(data.test.count).toBe(3)
    expect(Array.from(data.train.labels)).toEqual([9, 0, 3, 5, 1])
    expect(Array.from(data.test.labels)).toEqual([2, 8, 7])
    expect(data.train.images.length).toBe(5 * IMAGE_PIXELS)
    expect(data.test.images.length).toBe(3 * IMAGE_PIXELS)
    // Row-major, image after image: the last pixel of image 4 and the first of image 2.
    expect(data.train.images[5 * IMAGE_PIXELS - 1]).toBe(5)
    expect(data.test.images[2 * IMAGE_PIXELS]).toBe(3)
  })

  it('rejects an image count that differs from the label count (5 images, 4 labels)', async () => {
    const dir = await fixture({ trainImages: 5, trainLabels: [1, 2, 3, 4] })
    const err = await rejection(loadFashionMnist(dir))
    expect(err.file).toBe(join(dir, F.trainImages))
    expect(err.message).toContain(F.trainImages)
    expect(err.message).toContain(F.trainLabels)
    expect(err.problem).toBe(`has 5 images but ${join(dir, F.trainLabels)} has 4 labels`)
  })

  it('rejects a label out of range (10 at index 2 of the test labels)', async () => {
    const dir = await fixture({ testLabels: [0, 9, 10] })
    const err = await rejection(loadFashionMnist(dir))
    expect(err.file).toBe(join(dir, F.testLabels))
    expect(err.problem).toBe('label 10 at index 2 is out of range 0..9')
  })

  it('rejects images that are not 28x28 (27x28)', async () => {
    const dir = await fixture({ rows: 27 })
    const err = await rejection(loadFashionMnist(dir))
    expect(err.file).toBe(join(dir, F.trainImages))
    expect(err.problem).toBe('images are 27x28, expected 28x28')
  })

  it('rejects a missing file (no test labels)', async () => {
    const dir = await fixture({ skip: [F.testLabels] })
    const err = await rejection(loadFashionMnist(dir))
    expect(err.file).toBe(join(dir, F.testLabels))
    expect(err.problem).toBe('file not found')
  })

  it('rejects several missing files and lists them all (empty folder)', async () => {
    const dir = await fixture({ skip: Object.values(F) })
    const err = await rejection(loadFashionMnist(dir))
    expect(err.file).toBe(join(dir, F.trainImages))
    expect(err.problem).toBe(
      `file not found (also missing: ${F.trainLabels}, ${F.testImages}, ${F.testLabels})`
    )
  })

  it('rejects a corrupt file inside the folder (labels file saved as train images)', async () => {
    const dir = await fixture()
    await writeFile(join(dir, F.trainImages), idxGz(IDX_LABELS_MAGIC, [2], Uint8Array.of(1, 2)))
    const err = await rejection(loadFashionMnist(dir))
    expect(err.file).toBe(join(dir, F.trainImages))
    expect(err.problem).toMatch(/^wrong magic number 0x00000801, expected 0x00000803/)
  })

  it.skipIf(!existsSync(DEBIAN_FASHION_MNIST_DIR))(
    `loads the real Debian copy (skipped when ${DEBIAN_FASHION_MNIST_DIR} is absent)`,
    async () => {
      const data = await loadFashionMnist(DEBIAN_FASHION_MNIST_DIR)
      expect(data.train.count).toBe(60000)
      expect(data.test.count).toBe(10000)
      expect(data.train.images.length).toBe(60000 * IMAGE_PIXELS)
      expect(data.test.labels.length).toBe(10000)
      expect(data.train.labels[0]).toBe(9) // Ankle boot
    }
  )
})

describe('missingFiles', () => {
  it('lists nothing for a complete folder', async () => {
    expect(missingFiles(await fixture())).toEqual([])
  })

  it('lists the absent files (train labels and test images removed)', async () => {
    const dir = await fixture({ skip: [F.trainLabels, F.testImages] })
    expect(missingFiles(dir)).toEqual([F.trainLabels, F.testImages])
  })

  it('lists all four for a folder that does not exist', () => {
    expect(missingFiles(join(root, 'nope'))).toEqual(Object.values(F))
  })
})

describe('resolveDataDir', () => {
  let complete = ''
  let partial = ''
  const workspace = '/tmp/ws'
  const inWorkspace = resolve(workspace, 'datasets', 'fashion-mnist')

  beforeAll(async () => {
    complete = await fixture()
    partial = await fixture({ skip: [F.testLabels] })
  })

  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it.each([
    [
      'the flag, over env and a complete Debian copy',
      { flag: '/data/flag', env: '/data/env', debian: 'complete' },
      '/data/flag'
    ],
    [
      'env FASHION_MNIST_DIR when there is no flag, over a complete Debian copy',
      { env: '/data/env', debian: 'complete' },
      '/data/env'
    ],
    [
      'the Debian dir when no flag or env and all four files are there',
      { debian: 'complete' },
      'complete'
    ],
    ['the workspace when the Debian dir lacks a file', { debian: 'partial' }, inWorkspace],
    ['the workspace when the Debian dir does not exist', { debian: 'absent' }, inWorkspace],
    [
      'the workspace when env FASHION_MNIST_DIR is empty',
      { env: '', debian: 'absent' },
      inWorkspace
    ]
  ] as const)('picks %s', (_title, setup, expected) => {
    const dirs = { complete, partial, absent: join(root, 'absent') }
    vi.stubEnv('FASHION_MNIST_DIR', 'env' in setup ? setup.env : undefined)
    const got = resolveDataDir({
      flag: 'flag' in setup ? setup.flag : undefined,
      workspace,
      debianDir: dirs[setup.debian]
    })
    expect(got).toBe(expected === 'complete' ? complete : expected)
  })

  it('resolves a relative flag against the current directory', () => {
    expect(resolveDataDir({ flag: 'data', workspace })).toBe(resolve('data'))
  })

  it('defaults to the real Debian dir, which it picks only when complete', () => {
    vi.stubEnv('FASHION_MNIST_DIR', undefined)
    const expected =
      missingFiles(DEBIAN_FASHION_MNIST_DIR).length === 0 ? DEBIAN_FASHION_MNIST_DIR : inWorkspace
    expect(resolveDataDir({ workspace })).toBe(expected)
  })
})
