// Decoding with sharp (libvips): only what libvips does cheaply. Shrink-on-load (JPEG DCT scaling,
// WebP scaled decode) makes a 1 MP JPEG cost a fraction of a full decode; EXIF orientation, alpha,
// CMYK and 16-bit are normalised here so the raster code sees plain 8-bit sRGB.
import sharp from 'sharp'
import { PhotoError } from './errors'
import type { Rgb } from './raster'
import { formatName, type PhotoFormat } from './sniff'

/** Longest edge of the analysis copy: the product usually spans 100+ pixels of it, 28 are needed. */
export const ANALYSIS_SIZE = 160

export interface Region {
  left: number
  top: number
  width: number
  height: number
}

export interface DecodeOptions {
  limitInputPixels: number
  /** Part of the (upright) photo to decode, for a second, closer look at a small product. */
  region?: Region
}

/** A small upright sRGB copy of the photo (longest edge at most ANALYSIS_SIZE). */
export async function decodeSmall(
  bytes: Buffer,
  format: PhotoFormat,
  options: DecodeOptions
): Promise<Rgb> {
  try {
    let img = sharp(bytes, {
      limitInputPixels: options.limitInputPixels,
      // A truncated file is an error, not a grey-filled image; mere warnings (odd markers that
      // cameras write) are not.
      failOn: 'truncated',
      autoOrient: true
    })
    if (options.region) img = img.extract(options.region)
    const { data, info } = await img
      .resize(ANALYSIS_SIZE, ANALYSIS_SIZE, { fit: 'inside', withoutEnlargement: true })
      // Transparent product cut-outs: the transparent part becomes a white backdrop.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    return { data: toRgb(data, info.channels), width: info.width, height: info.height }
  } catch (err) {
    throw await decodeError(err, bytes, format, options.limitInputPixels)
  }
}

/** Upright size of the full photo, from its header alone. */
export async function photoSize(bytes: Buffer): Promise<{ width: number; height: number }> {
  const m = await sharp(bytes, { limitInputPixels: false }).metadata()
  return m.autoOrient
}

function toRgb(data: Buffer, channels: number): Uint8Array {
  const px = new Uint8Array(data.buffer, data.byteOffset, data.length)
  if (channels === 3) return px
  // Not expected after toColourspace('srgb'), but cheap insurance: grey -> RGB, drop extra bands.
  const n = data.length / channels
  const out = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) out[3 * i + c] = px[i * channels + Math.min(c, channels - 1)]!
  return out
}

/** A PhotoError for a libvips failure, worded for people (libvips' messages are for developers). */
async function decodeError(
  err: unknown,
  bytes: Buffer,
  format: PhotoFormat,
  limit: number
): Promise<PhotoError> {
  const message = err instanceof Error ? err.message : String(err)
  const name = formatName(format)
  // libvips' messages are unreliable under concurrency (its error buffer is shared: "Unknown error"
  // happens), so the size is read from the header and truncation from the file's own end marker.
  const size = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined)
  if (size && (/exceeds pixel limit/i.test(message) || size.width * size.height > limit)) {
    return new PhotoError(
      'too-large',
      `image too large: ${size.width}x${size.height} exceeds the ${Math.round(limit / 1e6)} MP limit`
    )
  }
  if (
    endsEarly(bytes, format) ||
    /premature end|unexpected end|truncated|read error|not enough data|short read/i.test(message)
  )
    return new PhotoError('truncated', `truncated ${name}`)
  if (/corrupt header|unable to parse|invalid|bad|not a known/i.test(message))
    return new PhotoError('corrupt', `corrupt ${name} (${firstLine(message)})`)
  return new PhotoError('corrupt', `cannot decode ${name}: ${firstLine(message)}`)
}

/** True when the file stops before its format's end marker (EOI, IEND, RIFF size, GIF trailer). */
export function endsEarly(b: Buffer, format: PhotoFormat): boolean {
  const tail = b.subarray(Math.max(0, b.length - 32))
  switch (format) {
    case 'jpeg':
      // Some writers pad after the image: EOI anywhere in the last 32 bytes counts.
      return !tail.includes(Buffer.from([0xff, 0xd9]))
    case 'png':
      return !tail.includes(Buffer.from('IEND'))
    case 'webp':
      return b.length >= 8 && b.readUInt32LE(4) + 8 > b.length
    case 'gif':
      return b[b.length - 1] !== 0x3b
    default:
      return false
  }
}

function firstLine(s: string): string {
  return s
    .split('\n')[0]!
    .replace(/^Input buffer has corrupt header: /, '')
    .slice(0, 120)
}
