// Parsing of the IDX files Fashion-MNIST ships in (big-endian header, then raw uint8 data).
// Every failure is a DatasetError naming the file and the problem, because a user who points the
// app at the wrong folder needs to know which file is wrong and how, not just that parsing failed.
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'

/** IDX magic for uint8 data with 3 dimensions (count, rows, cols). */
export const IDX_IMAGES_MAGIC = 0x00000803
/** IDX magic for uint8 data with 1 dimension (count). */
export const IDX_LABELS_MAGIC = 0x00000801

const gunzipAsync = promisify(gunzip)

/** A dataset file that is missing, unreadable or malformed; message `${file}: ${problem}`. */
export class DatasetError extends Error {
  override name = 'DatasetError'

  constructor(
    readonly file: string,
    readonly problem: string,
    options?: ErrorOptions
  ) {
    super(`${file}: ${problem}`, options)
  }
}

interface IdxKind {
  magic: number
  dims: number
  what: string
}

const IMAGES: IdxKind = { magic: IDX_IMAGES_MAGIC, dims: 3, what: 'IDX images' }
const LABELS: IdxKind = { magic: IDX_LABELS_MAGIC, dims: 1, what: 'IDX labels' }

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`

/** Checks an IDX file's header and data length; returns its dimensions and a view of the data. */
function parseIdx(
  bytes: Uint8Array,
  file: string,
  kind: IdxKind
): { dims: number[]; data: Uint8Array } {
  const headerBytes = 4 + 4 * kind.dims
  if (bytes.length === 0) throw new DatasetError(file, 'empty file')
  const short = (): DatasetError =>
    new DatasetError(
      file,
      `file is ${bytes.length} bytes, shorter than the ${headerBytes}-byte ${kind.what} header`
    )
  if (bytes.length < 4) throw short()

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // Magic before length: a labels file passed as images is usually long enough, and "wrong magic"
  // says far more than "too short" when it is not.
  const magic = view.getUint32(0)
  if (magic !== kind.magic) {
    throw new DatasetError(
      file,
      `wrong magic number ${hex(magic)}, expected ${hex(kind.magic)} (${kind.what})`
    )
  }
  if (bytes.length < headerBytes) throw short()

  const dims: number[] = []
  for (let i = 0; i < kind.dims; i++) dims.push(view.getUint32(4 + 4 * i))
  const expected = dims.reduce((a, b) => a * b, 1)
  const found = bytes.length - headerBytes
  const shape = dims.join('x')
  if (found < expected) {
    throw new DatasetError(
      file,
      `truncated data: header says ${shape}, expected ${expected} data bytes, found ${found}`
    )
  }
  if (found > expected) {
    throw new DatasetError(
      file,
      `${found - expected} trailing bytes after the data: header says ${shape}, ` +
        `expected ${expected} data bytes, found ${found}`
    )
  }
  return { dims, data: bytes.subarray(headerBytes) }
}

/** Parses an uncompressed IDX images file; `pixels` is a row-major view into `bytes`. */
export function parseIdxImages(
  bytes: Uint8Array,
  file: string
): { count: number; rows: number; cols: number; pixels: Uint8Array } {
  const { dims, data } = parseIdx(bytes, file, IMAGES)
  const [count = 0, rows = 0, cols = 0] = dims
  return { count, rows, cols, pixels: data }
}

/** Parses an uncompressed IDX labels file; returns a view into `bytes`, one label per byte. */
export function parseIdxLabels(bytes: Uint8Array, file: string): Uint8Array {
  return parseIdx(bytes, file, LABELS).data
}

/** Reads a gzip-compressed file and returns its decompressed bytes. */
export async function readIdxGz(file: string): Promise<Uint8Array> {
  let compressed: Buffer
  try {
    compressed = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DatasetError(file, 'file not found', { cause: err })
    if (code === 'EISDIR')
      throw new DatasetError(file, 'is a directory, not a file', { cause: err })
    throw new DatasetError(file, `cannot read file: ${(err as Error).message}`, { cause: err })
  }
  if (compressed.length === 0) throw new DatasetError(file, 'empty file')
  if (compressed[0] !== 0x1f || compressed[1] !== 0x8b) {
    // Most often an already-unpacked IDX file renamed to .gz, or an HTML error page.
    throw new DatasetError(file, 'not a gzip file (does not start with the gzip magic 1f 8b)')
  }
  let raw: Buffer
  try {
    raw = await gunzipAsync(compressed)
  } catch (err) {
    throw new DatasetError(file, `truncated or corrupt gzip stream: ${(err as Error).message}`, {
      cause: err
    })
  }
  // A plain Uint8Array view, so callers never depend on Buffer-only behaviour.
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
}

/** An IDX file (header + data), for writing datasets in Fashion-MNIST's own format. */
export function encodeIdx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, magic)
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d))
  out.set(data, 4 + 4 * dims.length)
  return out
}
