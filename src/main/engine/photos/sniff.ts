// Which format a file really is, from its first bytes: the extension may lie (a text file named
// .jpg), and only formats we mean to decode ever reach libvips (no SVG, PDF, or ImageMagick paths).
import { PhotoError } from './errors'

export type PhotoFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif'

/** Display names of formats recognised but not decoded (sharp's prebuilt libvips lacks them). */
const UNSUPPORTED: [string, (b: Buffer) => boolean][] = [
  ['BMP', (b) => ascii(b, 0, 'BM') && b.length >= 26],
  [
    'HEIC',
    (b) => ascii(b, 4, 'ftyp') && /^(heic|heix|hevc|heim|heis|mif1|msf1)/.test(ascii4(b, 8))
  ],
  ['JPEG XL', (b) => (b[0] === 0xff && b[1] === 0x0a) || ascii(b, 4, 'JXL ')],
  ['JPEG 2000', (b) => ascii(b, 4, 'jP  ') || (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff)],
  ['PSD', (b) => ascii(b, 0, '8BPS')],
  ['ICO', (b) => b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0 && b.length > 6],
  ['PDF', (b) => ascii(b, 0, '%PDF')],
  ['SVG', (b) => /^\s*(<\?xml|<svg)/i.test(b.subarray(0, 256).toString('latin1'))]
]

/** The decodable format of `bytes`, or a PhotoError saying what it is instead. */
export function sniffFormat(bytes: Buffer): PhotoFormat {
  if (bytes.length === 0) throw new PhotoError('empty', 'empty file (0 bytes)')
  const b = bytes
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a)
    return 'png'
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'webp'
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'gif'
  if (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*')) return 'tiff'
  if (ascii(b, 4, 'ftyp') && /^(avif|avis)/.test(ascii4(b, 8))) return 'avif'
  const known = UNSUPPORTED.find(([, test]) => test(b))
  if (known) throw new PhotoError('unsupported', `unsupported format: ${known[0]}`)
  if (b.length < 16) throw new PhotoError('not-image', `not an image (${b.length} bytes)`)
  if (looksLikeText(b)) throw new PhotoError('not-image', 'not an image (text file?)')
  throw new PhotoError('not-image', 'not an image (unrecognised format)')
}

/** Display name of a decodable format, for messages. */
export function formatName(f: PhotoFormat): string {
  return f === 'jpeg' ? 'JPEG' : f.toUpperCase()
}

function ascii(b: Buffer, at: number, s: string): boolean {
  return b.length >= at + s.length && b.toString('latin1', at, at + s.length) === s
}

function ascii4(b: Buffer, at: number): string {
  return b.length >= at + 4 ? b.toString('latin1', at, at + 4) : ''
}

/** Mostly printable bytes in the first 512 (UTF-8 text included): not binary image data. */
function looksLikeText(b: Buffer): boolean {
  const head = b.subarray(0, 512)
  let printable = 0
  for (const c of head) if (c === 9 || c === 10 || c === 13 || (c >= 32 && c !== 127)) printable++
  return !head.includes(0) && printable / head.length > 0.95
}
