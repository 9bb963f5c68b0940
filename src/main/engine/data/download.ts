// Downloading Fashion-MNIST from Zalando Research. Each file is streamed to a private temp file,
// verified, and only then renamed into place, so the data folder never holds a partial or
// unverified file, whatever fails and whenever the user cancels.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { createGunzip } from 'node:zlib'
import { FASHION_MNIST_FILES, type FashionMnistFile } from './fashion-mnist'
import { DatasetError } from './idx'

/** Official download location (Zalando Research); file names are appended. */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'

/**
 * SHA-256 and size of each file's DECOMPRESSED content. Mirrors (Debian included) recompress the
 * .gz files, so only the decompressed bytes are the same from every source.
 */
export const FASHION_MNIST_CHECKSUMS: Record<FashionMnistFile, { sha256: string; bytes: number }> =
  {
    'train-images-idx3-ubyte.gz': {
      sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      bytes: 47040016
    },
    'train-labels-idx1-ubyte.gz': {
      sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      bytes: 60008
    },
    't10k-images-idx3-ubyte.gz': {
      sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      bytes: 7840016
    },
    't10k-labels-idx1-ubyte.gz': {
      sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      bytes: 10008
    }
  }

export interface DownloadProgress {
  file: string
  received: number
  /** From Content-Length; undefined when the server does not say. */
  total: number | undefined
}

export interface DownloadOptions {
  dir: string
  baseUrl?: string
  onProgress?: (p: DownloadProgress) => void
  signal?: AbortSignal
}

/** Downloads and verifies the four dataset files into `dir`, skipping those present and valid. */
export async function downloadFashionMnist(options: DownloadOptions): Promise<void> {
  const { dir, signal } = options
  const base = withTrailingSlash(options.baseUrl ?? FASHION_MNIST_URL)
  await mkdir(dir, { recursive: true })
  // One file at a time: a failure then leaves only complete, verified files behind.
  for (const name of Object.values(FASHION_MNIST_FILES)) {
    const target = join(dir, name)
    if (signal?.aborted) {
      throw new DatasetError(target, 'download aborted', { cause: signal.reason })
    }
    // An invalid existing file (e.g. copied in by hand) is replaced, not trusted.
    if (existsSync(target) && (await verify(target, name)) === undefined) continue
    await downloadOne(new URL(name, base).href, target, name, options)
  }
}

/** Fetches one file into a temp file next to `target`, verifies it and renames it into place. */
async function downloadOne(
  url: string,
  target: string,
  name: FashionMnistFile,
  { onProgress, signal }: DownloadOptions
): Promise<void> {
  // Random suffix: two concurrent downloads into one folder must not write the same temp file.
  const part = `${target}.part-${randomBytes(6).toString('hex')}`
  try {
    const response = await fetch(url, { signal }).catch((err: unknown) => {
      throw failure(target, url, err, signal)
    })
    if (!response.ok) {
      await response.body?.cancel()
      throw new DatasetError(target, `HTTP ${response.status} from ${url}`)
    }
    if (!response.body) throw new DatasetError(target, `empty response from ${url}`)
    const length = Number(response.headers.get('content-length') ?? NaN)
    const total = Number.isFinite(length) ? length : undefined
    let received = 0
    onProgress?.({ file: name, received, total })
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)
    const count = async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        received += chunk.length
        onProgress?.({ file: name, received, total })
        yield chunk
      }
    }
    await pipeline(body, count, createWriteStream(part, { flags: 'wx' }), { signal }).catch(
      (err: unknown) => {
        throw failure(target, url, err, signal)
      }
    )
    const problem = await verify(part, name)
    if (problem !== undefined) throw new DatasetError(target, `${problem} (downloaded from ${url})`)
    await rename(part, target)
  } finally {
    // After a successful rename this is a no-op; otherwise it removes the partial download.
    await rm(part, { force: true })
  }
}

/** Turns a fetch or stream failure into a DatasetError that says what happened. */
function failure(target: string, url: string, err: unknown, signal?: AbortSignal): DatasetError {
  if (err instanceof DatasetError) return err
  if (signal?.aborted) return new DatasetError(target, 'download aborted', { cause: err })
  // fetch reports network problems as TypeError('fetch failed') with the real reason as cause.
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
  const message = cause instanceof Error ? cause.message : String(cause)
  return new DatasetError(target, `download from ${url} failed: ${message}`, { cause: err })
}

/** Checks a .gz file against the checksum table; returns the problem, or undefined when valid. */
async function verify(file: string, name: FashionMnistFile): Promise<string | undefined> {
  const expected = FASHION_MNIST_CHECKSUMS[name]
  const hash = createHash('sha256')
  let size = 0
  try {
    // Streamed, so a 47 MB file (or a gzip bomb) never sits in memory whole.
    await pipeline(
      createReadStream(file),
      createGunzip(),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          size += chunk.length
          if (size > expected.bytes) throw new Error('oversize')
          hash.update(chunk)
        }
      }
    )
  } catch (err) {
    if (size > expected.bytes) {
      return `checksum mismatch: expected ${expected.bytes} decompressed bytes, got more`
    }
    return `not a valid gzip file: ${(err as Error).message}`
  }
  const actual = hash.digest('hex')
  if (actual !== expected.sha256) {
    return `checksum mismatch: expected ${expected.sha256}, got ${actual}`
  }
  return undefined
}

const withTrailingSlash = (url: string): string => (url.endsWith('/') ? url : `${url}/`)
