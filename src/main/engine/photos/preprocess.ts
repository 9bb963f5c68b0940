// From a product photo to what the model sees: a 28x28 Fashion-MNIST-like image. Public engine API,
// used by `classify` and by the HTTP server's image endpoint. Bad input never throws anything but a
// PhotoError with a reason a person can read.
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { IMAGE_SIZE } from '@shared/classes'
import { ANALYSIS_SIZE, decodeSmall, photoSize, type Region } from './decode'
import { fileSystemError, PhotoError } from './errors'
import {
  estimateBackground,
  toFashionMnist,
  type Background,
  type Box,
  type Colour
} from './raster'
import { sniffFormat, type PhotoFormat } from './sniff'

export { PhotoError, type PhotoErrorCode } from './errors'

/** Decompression-bomb guard: photos above 100 megapixels are refused before decoding. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000
/** Files above this size are refused before reading (no product photo is 256 MB). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024

/** Below this many analysis pixels (longest edge) the product is decoded again, closer. */
const SECOND_LOOK_BELOW = 2 * IMAGE_SIZE

export interface PreprocessOptions {
  limitInputPixels?: number
}

export interface PhotoSteps {
  /** Reading the file (0 for a Buffer). */
  readMs: number
  /** libvips: decode with shrink-on-load, orientation, colour conversion. */
  decodeMs: number
  /** Our code: background, trim, resize, sharpen, centre, negate. */
  preprocessMs: number
}

export interface PreprocessedPhoto {
  /** 28x28 grey, 0..255, row-major: light product on black, like Fashion-MNIST. */
  pixels: Uint8Array
  format: PhotoFormat
  steps: PhotoSteps
}

export async function preprocessPhoto(
  input: Buffer | string,
  options: PreprocessOptions = {}
): Promise<PreprocessedPhoto> {
  const limitInputPixels = options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT
  const t0 = performance.now()
  const bytes = typeof input === 'string' ? await readPhotoFile(input) : input
  const t1 = performance.now()
  const format = sniffFormat(bytes)
  let decodeMs = 0
  let preprocessMs = 0
  const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
    const s = performance.now()
    try {
      return await fn()
    } finally {
      decodeMs += performance.now() - s
    }
  }
  const small = await timed(() => decodeSmall(bytes, format, { limitInputPixels }))
  let s = performance.now()
  const background = estimateBackground(small)
  let result = toFashionMnist(small, background)
  preprocessMs += performance.now() - s
  if (!result) throw new PhotoError('blank', 'no product found (the photo is one flat colour)')
  const reduced = Math.max(small.width, small.height) >= ANALYSIS_SIZE
  if (reduced && Math.max(result.box.width, result.box.height) < SECOND_LOOK_BELOW) {
    // A small product in wide margins: decode just its region at a higher resolution.
    const full = await timed(() => photoSize(bytes))
    const region = regionOf(result.box, small.width, small.height, full)
    const closer = await timed(() => decodeSmall(bytes, format, { limitInputPixels, region }))
    s = performance.now()
    result = toFashionMnist(closer, flatBackground(background)) ?? result
    preprocessMs += performance.now() - s
  }
  return {
    pixels: result.pixels,
    format,
    steps: { readMs: t1 - t0, decodeMs, preprocessMs }
  }
}

/**
 * Reads a photo file with the checks a folder of unknown files needs: only regular files (a FIFO
 * named .jpg would block forever; O_NONBLOCK keeps even the open from blocking), bounded size.
 */
export async function readPhotoFile(path: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    throw fileSystemError(err)
  }
  try {
    const info = await fh.stat()
    if (!info.isFile()) throw new PhotoError('not-a-file', 'not a regular file')
    if (info.size === 0) throw new PhotoError('empty', 'empty file (0 bytes)')
    if (info.size > maxBytes) {
      throw new PhotoError(
        'too-large',
        `file too large: ${Math.round(info.size / 2 ** 20)} MB exceeds ${maxBytes / 2 ** 20} MB`
      )
    }
    return await fh.readFile()
  } catch (err) {
    throw err instanceof PhotoError ? err : fileSystemError(err)
  } finally {
    await fh.close()
  }
}

/** The product's box in full-photo pixels, with a margin of one analysis pixel of backdrop. */
function regionOf(
  box: Box,
  sw: number,
  sh: number,
  full: { width: number; height: number }
): Region {
  const fx = full.width / sw
  const fy = full.height / sh
  const left = Math.max(0, Math.floor((box.left - 1) * fx))
  const top = Math.max(0, Math.floor((box.top - 1) * fy))
  const right = Math.min(full.width, Math.ceil((box.left + box.width + 1) * fx))
  const bottom = Math.min(full.height, Math.ceil((box.top + box.height + 1) * fy))
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) }
}

/** The backdrop as one colour (the corners' mean): a close-up region has no corners of its own. */
function flatBackground(bg: Background): Background {
  const mean = [0, 1, 2].map((c) => bg.corners.reduce((a, k) => a + k[c]!, 0) / 4) as Colour
  return { ...bg, corners: [mean, mean, mean, mean] }
}
