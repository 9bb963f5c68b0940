// From photo files to Fashion-MNIST: photo-like files made from real test images (every variant the
// generator writes: tinted backdrops, JPEG/PNG/WebP, alpha, EXIF rotation, CMYK, 16-bit) must come
// back close to the original 28x28 image with a black background, and every kind of bad file must
// end in a PhotoError saying why. Writes test-results/photos/contact-sheet.png for a human look.
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp, { type OverlayOptions } from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import { decodeSmall } from '../../../src/main/engine/photos/decode'
import { PhotoError } from '../../../src/main/engine/photos/errors'
import { writePhotoLikeSet, type PhotoLikeFile } from '../../../src/main/engine/photos/photo-like'
import {
  DEFAULT_PIXEL_LIMIT,
  preprocessPhoto,
  readPhotoFile
} from '../../../src/main/engine/photos/preprocess'
import { toFashionMnist } from '../../../src/main/engine/photos/raster'
import { realData } from '../../helpers/real-data'
import { pngHeader } from '../../helpers/png-header'

let dir: string
let files: PhotoLikeFile[]
let test: { images: Uint8Array; labels: Uint8Array }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-preprocess-'))
  test = (await realData()).test
  files = await writePhotoLikeSet({ ...test, outDir: join(dir, 'photos'), count: 48, seed: 3 })
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const original = (i: number) => test.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)
const meanAbsDiff = (a: Uint8Array, b: Uint8Array) =>
  a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length

async function failure(input: Buffer | string, options = {}): Promise<PhotoError> {
  const err = await preprocessPhoto(input, options).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(PhotoError)
  return err as PhotoError
}

describe('preprocessPhoto on photo-like files', () => {
  it('covers every variant the generator writes (CMYK, 16-bit, alpha, EXIF, WebP, PNG, JPEG)', async () => {
    const variants = new Set(files.map((f) => f.variant))
    expect([...variants].sort()).toEqual(['alpha', 'cmyk', 'exif', 'jpeg', 'png', 'png16', 'webp'])
    const meta = async (f: PhotoLikeFile) => sharp(join(dir, 'photos', f.file)).metadata()
    expect((await meta(files[0]!)).space).toBe('cmyk')
    expect((await meta(files[1]!)).depth).toBe('ushort')
    expect((await meta(files.find((f) => f.variant === 'alpha')!)).hasAlpha).toBe(true)
    expect((await meta(files.find((f) => f.variant === 'exif')!)).orientation).toBeGreaterThan(1)
  })

  it('brings each photo back close to its Fashion-MNIST image, background black', async () => {
    const sheet: OverlayOptions[] = []
    let total = 0
    for (const f of files) {
      const { pixels, steps } = await preprocessPhoto(join(dir, 'photos', f.file))
      expect(pixels).toHaveLength(IMAGE_PIXELS)
      // Corners are backdrop in Fashion-MNIST: black after negation, whatever the tint.
      for (const i of [0, 27, 28 * 27, 28 * 28 - 1]) expect(pixels[i], `${f.file} corner`).toBe(0)
      // Typical differences: a half-pixel shift, a brighter stretch (worst of these 48: 36).
      const diff = meanAbsDiff(pixels, original(f.index))
      expect(diff, `${f.file} (${f.variant})`).toBeLessThan(45)
      total += diff
      expect(steps.decodeMs).toBeGreaterThan(0)
      if (f.index < 16) sheet.push(...(await sheetTiles(f, pixels)))
    }
    // A wrong trim, centring or polarity makes this 40 or more; these photos give about 17.
    expect(total / files.length).toBeLessThan(22)
    await mkdir('test-results/photos', { recursive: true })
    await sharp({ create: { width: 4 * 360, height: 4 * 120, channels: 3, background: '#345' } })
      .composite(sheet)
      .png()
      .toFile('test-results/photos/contact-sheet.png')
  })

  it('gives the same result for a photo stored sideways with an EXIF orientation tag', async () => {
    const upright = await readFile(
      join(dir, 'photos', files.find((f) => f.variant === 'jpeg')!.file)
    )
    const sideways = await sharp(upright)
      .rotate(270)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer()
    const a = (await preprocessPhoto(upright)).pixels
    const b = (await preprocessPhoto(sideways)).pixels
    expect(meanAbsDiff(a, b)).toBeLessThan(4)
  })

  it('takes a closer look at a small product in a huge photo (12 MP, product 6% wide)', async () => {
    const i = files.find((f) => f.variant === 'jpeg')!.index
    const product = await sharp(Buffer.from(original(i).map((v) => 255 - Math.round(v * 0.8))), {
      raw: { width: 28, height: 28, channels: 1 }
    })
      .resize(240, 240, { kernel: 'cubic' })
      .toColourspace('srgb')
      .png()
      .toBuffer()
    const photo = await sharp({
      create: { width: 4000, height: 3000, channels: 3, background: '#fff' }
    })
      .composite([{ input: product, left: 2900, top: 600 }])
      .jpeg({ quality: 90 })
      .toBuffer()
    const closer = (await preprocessPhoto(photo)).pixels
    const firstLookOnly = toFashionMnist(
      await decodeSmall(photo, 'jpeg', { limitInputPixels: DEFAULT_PIXEL_LIMIT })
    )!.pixels
    expect(meanAbsDiff(closer, original(i))).toBeLessThan(25)
    expect(meanAbsDiff(closer, original(i))).toBeLessThan(meanAbsDiff(firstLookOnly, original(i)))
  })

  it('handles tiny photos and the other formats libvips decodes (GIF, TIFF)', async () => {
    const tiny = await sharp({ create: { width: 6, height: 5, channels: 3, background: '#fff' } })
      .composite([
        {
          input: { create: { width: 3, height: 3, channels: 3, background: '#000' } },
          left: 2,
          top: 1
        }
      ])
      .png()
      .toBuffer()
    expect((await preprocessPhoto(tiny)).pixels[14 * 28 + 14]).toBe(255)
    const jpeg = await readFile(join(dir, 'photos', files.find((f) => f.variant === 'jpeg')!.file))
    for (const fmt of ['gif', 'tiff'] as const) {
      const out = await preprocessPhoto(await sharp(jpeg).toFormat(fmt).toBuffer())
      expect(out.format).toBe(fmt)
    }
  })
})

describe('bad input', () => {
  it('names each problem', async () => {
    const jpeg = await readFile(join(dir, 'photos', files.find((f) => f.variant === 'jpeg')!.file))
    const png = await sharp(jpeg).png().toBuffer()
    expect((await failure(jpeg.subarray(0, jpeg.length >> 1))).message).toBe('truncated JPEG')
    expect((await failure(png.subarray(0, png.length >> 1))).message).toBe('truncated PNG')
    expect((await failure(Buffer.alloc(0))).message).toBe('empty file (0 bytes)')
    expect((await failure(Buffer.from('just some notes, not a photo\n'.repeat(4)))).message).toBe(
      'not an image (text file?)'
    )
    const bomb = await failure(pngHeader(30000, 30000))
    expect(bomb.code).toBe('too-large')
    expect(bomb.message).toBe('image too large: 30000x30000 exceeds the 100 MP limit')
    expect((await failure(jpeg, { limitInputPixels: 10_000 })).message).toMatch(
      /^image too large: \d+x\d+ exceeds the 0 MP limit$/
    )
    const flat = await sharp({
      create: { width: 300, height: 200, channels: 3, background: '#eee' }
    })
      .jpeg()
      .toBuffer()
    expect((await failure(flat)).code).toBe('blank')
  })

  it('names truncation right even when many decodes fail at once (libvips shares its error buffer)', async () => {
    const jpeg = await readFile(join(dir, 'photos', files.find((f) => f.variant === 'jpeg')!.file))
    const cuts = Array.from({ length: 24 }, (_, i) => jpeg.subarray(0, 2000 + 300 * i))
    const reasons = await Promise.all(cuts.map(async (b) => (await failure(b)).message))
    expect(new Set(reasons)).toEqual(new Set(['truncated JPEG']))
  })

  it('reads only regular files, never blocking on a FIFO, and says what a path is', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe.jpg')])
    await writeFile(join(dir, 'empty.jpg'), '')
    expect((await failure(join(dir, 'pipe.jpg'))).message).toBe('not a regular file')
    expect((await failure(dir)).message).toBe('not a regular file')
    expect((await failure(join(dir, 'empty.jpg'))).message).toBe('empty file (0 bytes)')
    expect((await failure(join(dir, 'missing.jpg'))).code).toBe('unreadable')
  })

  // Root reads any file whatever its mode, so as root the check runs with the effective user
  // switched to "nobody" for its duration (seteuid is reversible, unlike setuid).
  it('reports a file it may not read', async () => {
    const file = join(dir, 'secret.jpg')
    await writeFile(file, 'x')
    await chmod(file, 0o000)
    await chmod(dir, 0o755)
    const asRoot = process.getuid?.() === 0
    if (asRoot) process.seteuid!(65534)
    try {
      const err = await readPhotoFile(file).catch((e: unknown) => e)
      expect((err as PhotoError).message).toBe('unreadable: permission denied')
    } finally {
      if (asRoot) process.seteuid!(0)
    }
  })
})

/** Photo, original 28x28 and ours, side by side. */
async function sheetTiles(f: PhotoLikeFile, ours: Uint8Array): Promise<OverlayOptions[]> {
  const k = f.index
  const x = (k % 4) * 360
  const y = Math.floor(k / 4) * 120
  const big = (px: Uint8Array) =>
    sharp(Buffer.from(px), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(112, 112, { kernel: 'nearest' })
      .png()
      .toBuffer()
  const photo = await sharp(join(dir, 'photos', f.file), { autoOrient: true })
    .flatten({ background: '#f0f' })
    .resize(112, 112, { fit: 'contain', background: '#888' })
    .png()
    .toBuffer()
  return [
    { input: photo, left: x, top: y },
    { input: await big(original(k)), left: x + 116, top: y },
    { input: await big(ours), left: x + 232, top: y }
  ]
}
