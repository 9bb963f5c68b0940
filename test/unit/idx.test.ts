import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DatasetError,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  parseIdxImages,
  parseIdxLabels,
  readIdxGz
} from '../../src/main/engine/data/idx'

/** Builds an IDX file: magic, one uint32 per dimension, then `data` (default: 0, 1, 2, ...). */
function idx(
  magic: number,
  dims: number[],
  dataBytes = dims.reduce((a, b) => a * b, 1)
): Uint8Array {
  const header = 4 + 4 * dims.length
  const bytes = new Uint8Array(header + dataBytes)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, magic)
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d))
  for (let i = 0; i < dataBytes; i++) bytes[header + i] = i % 256
  return bytes
}

/** Runs `fn` and returns the DatasetError it throws (failing the test on anything else). */
function datasetError(fn: () => unknown): DatasetError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError)
    return err as DatasetError
  }
  throw new Error('expected a DatasetError')
}

const FILE = 'fixture.idx'

describe('DatasetError', () => {
  it('names the file and the problem', () => {
    const err = new DatasetError('a/b.gz', 'empty file')
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('DatasetError')
    expect(err.file).toBe('a/b.gz')
    expect(err.problem).toBe('empty file')
    expect(err.message).toBe('a/b.gz: empty file')
  })
})

describe('parseIdxImages', () => {
  it('parses a good 2x3x4 images file into a view of the data (no copy)', () => {
    const bytes = idx(IDX_IMAGES_MAGIC, [2, 3, 4])
    const { count, rows, cols, pixels } = parseIdxImages(bytes, FILE)
    expect({ count, rows, cols }).toEqual({ count: 2, rows: 3, cols: 4 })
    expect(Array.from(pixels)).toEqual(Array.from({ length: 24 }, (_, i) => i))
    expect(pixels.buffer).toBe(bytes.buffer)
    expect(pixels.byteOffset).toBe(16)
  })

  it('parses a good file with zero images', () => {
    expect(parseIdxImages(idx(IDX_IMAGES_MAGIC, [0, 28, 28]), FILE).count).toBe(0)
  })

  it('parses a file that is itself a view at an offset into a larger buffer', () => {
    const inner = idx(IDX_IMAGES_MAGIC, [1, 2, 2])
    const outer = new Uint8Array(3 + inner.length)
    outer.set(inner, 3)
    const { pixels } = parseIdxImages(outer.subarray(3), FILE)
    expect(Array.from(pixels)).toEqual([0, 1, 2, 3])
  })

  it.each([
    ['an empty file', new Uint8Array(0), 'empty file'],
    [
      'a 3-byte file (not even a magic number)',
      new Uint8Array([0, 0, 8]),
      'file is 3 bytes, shorter than the 16-byte IDX images header'
    ],
    [
      'a file shorter than its header (10 bytes)',
      idx(IDX_IMAGES_MAGIC, [2, 3, 4]).subarray(0, 10),
      'file is 10 bytes, shorter than the 16-byte IDX images header'
    ],
    [
      'a labels file given as images (wrong magic)',
      idx(IDX_LABELS_MAGIC, [5]),
      'wrong magic number 0x00000801, expected 0x00000803 (IDX images)'
    ],
    [
      'a file with a garbage magic number',
      new Uint8Array(20).fill(0xff),
      'wrong magic number 0xffffffff, expected 0x00000803 (IDX images)'
    ],
    [
      'truncated pixel data (20 of 24 bytes)',
      idx(IDX_IMAGES_MAGIC, [2, 3, 4], 20),
      'truncated data: header says 2x3x4, expected 24 data bytes, found 20'
    ],
    [
      'trailing bytes after the pixels (3 extra)',
      idx(IDX_IMAGES_MAGIC, [2, 3, 4], 27),
      '3 trailing bytes after the data: header says 2x3x4, expected 24 data bytes, found 27'
    ]
  ])('rejects %s', (_title, bytes, problem) => {
    const err = datasetError(() => parseIdxImages(bytes, FILE))
    expect(err.file).toBe(FILE)
    expect(err.problem).toBe(problem)
    expect(err.message).toBe(`${FILE}: ${problem}`)
  })
})

describe('parseIdxLabels', () => {
  it('parses a good labels file into a view of the data (no copy)', () => {
    const bytes = idx(IDX_LABELS_MAGIC, [5])
    const labels = parseIdxLabels(bytes, FILE)
    expect(Array.from(labels)).toEqual([0, 1, 2, 3, 4])
    expect(labels.buffer).toBe(bytes.buffer)
    expect(labels.byteOffset).toBe(8)
  })

  it.each([
    ['an empty file', new Uint8Array(0), 'empty file'],
    [
      'a file shorter than its header (6 bytes)',
      idx(IDX_LABELS_MAGIC, [5]).subarray(0, 6),
      'file is 6 bytes, shorter than the 8-byte IDX labels header'
    ],
    [
      'an images file given as labels (wrong magic)',
      idx(IDX_IMAGES_MAGIC, [1, 2, 2]),
      'wrong magic number 0x00000803, expected 0x00000801 (IDX labels)'
    ],
    [
      'truncated label data (3 of 5 bytes)',
      idx(IDX_LABELS_MAGIC, [5], 3),
      'truncated data: header says 5, expected 5 data bytes, found 3'
    ],
    [
      'trailing bytes after the labels (1 extra)',
      idx(IDX_LABELS_MAGIC, [5], 6),
      '1 trailing bytes after the data: header says 5, expected 5 data bytes, found 6'
    ]
  ])('rejects %s', (_title, bytes, problem) => {
    const err = datasetError(() => parseIdxLabels(bytes, FILE))
    expect(err.file).toBe(FILE)
    expect(err.problem).toBe(problem)
  })
})

describe('readIdxGz', () => {
  let dir = ''
  const content = idx(IDX_LABELS_MAGIC, [300])
  const gz = gzipSync(content)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idx-test-'))
    await writeFile(join(dir, 'good.gz'), gz)
    await writeFile(join(dir, 'empty.gz'), new Uint8Array(0))
    await writeFile(join(dir, 'plain.gz'), content)
    await writeFile(join(dir, 'truncated.gz'), gz.subarray(0, Math.floor(gz.length / 2)))
    const corrupt = Buffer.from(gz)
    corrupt[corrupt.length - 6] = (corrupt[corrupt.length - 6] ?? 0) ^ 0xff // inside the CRC32
    await writeFile(join(dir, 'corrupt.gz'), corrupt)
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads and gunzips a good file into a plain Uint8Array', async () => {
    const bytes = await readIdxGz(join(dir, 'good.gz'))
    expect(bytes.constructor).toBe(Uint8Array)
    expect(Array.from(bytes)).toEqual(Array.from(content))
    expect(parseIdxLabels(bytes, 'good.gz').length).toBe(300)
  })

  it.each([
    ['a missing file', 'missing.gz', /^file not found$/],
    ['a directory', '.', /^is a directory/],
    ['an empty file', 'empty.gz', /^empty file$/],
    ['a non-gzip file (raw IDX named .gz)', 'plain.gz', /^not a gzip file/],
    ['a truncated gzip stream', 'truncated.gz', /^truncated or corrupt gzip stream: .+/],
    ['a gzip stream with a bad checksum', 'corrupt.gz', /^truncated or corrupt gzip stream: .+/]
  ])('rejects %s', async (_title, name, problem) => {
    const file = join(dir, name)
    const err = await readIdxGz(file).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(DatasetError)
    expect((err as DatasetError).file).toBe(file)
    expect((err as DatasetError).problem).toMatch(problem)
    expect((err as DatasetError).message.startsWith(`${file}: `)).toBe(true)
  })
})
