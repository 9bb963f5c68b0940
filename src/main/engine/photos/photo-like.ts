// Photo-like files made from Fashion-MNIST test images, for checking the photo pipeline against
// known labels: the 28x28 image is turned back into what a product photo looks like (dark garment
// on a light, tinted, sometimes unevenly lit backdrop with wide margins, several hundred pixels,
// JPEG / PNG / WebP, some with alpha or EXIF rotation, one CMYK, one 16-bit).
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { IMAGE_PIXELS, IMAGE_SIZE } from '@shared/classes'
import { mulberry32 } from '../training/random'

export interface PhotoLikeOptions {
  /** count x 784 Fashion-MNIST pixels and their labels. */
  images: Uint8Array
  labels: Uint8Array
  outDir: string
  count: number
  seed?: number
  /** Size of the garment itself in pixels (its longest edge); margins come on top. */
  minSize?: number
  maxSize?: number
  /** 'mixed' (every variant) or 'jpeg' (plain JPEGs only, as for a throughput benchmark). */
  variety?: 'mixed' | 'jpeg'
  /** Files written at once (each is one libvips encode). */
  concurrency?: number
}

export interface PhotoLikeFile {
  /** Name inside outDir. */
  file: string
  index: number
  label: number
  variant: string
}

const BACKDROPS: [number, number, number][] = [
  [250, 250, 248], // white-ish
  [244, 240, 230], // off-white
  [236, 224, 200], // beige
  [222, 222, 222], // light grey
  [220, 232, 245], // light blue
  [245, 228, 228] // blush
]
const GARMENTS: [number, number, number][] = [
  [20, 20, 22], // black
  [28, 38, 72], // navy
  [72, 44, 30], // brown
  [40, 60, 40], // dark green
  [90, 24, 36], // burgundy
  [60, 60, 64] // charcoal
]

/** Writes `count` photo-like files (images 0..count-1) and returns what each one is. */
export async function writePhotoLikeSet(options: PhotoLikeOptions): Promise<PhotoLikeFile[]> {
  await mkdir(options.outDir, { recursive: true })
  const out: PhotoLikeFile[] = new Array(options.count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const i = next++
      out[i] = await writeOne(options, i)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker))
  return out
}

async function writeOne(o: PhotoLikeOptions, index: number): Promise<PhotoLikeFile> {
  const rand = mulberry32((o.seed ?? 1) * 100_003 + index)
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!
  const image = o.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS)
  const size = Math.round((o.minSize ?? 400) + rand() * ((o.maxSize ?? 900) - (o.minSize ?? 400)))
  const margins = [0, 0, 0, 0].map(() => 0.12 + rand() * 0.5) as [number, number, number, number]
  const backdrop = pick(BACKDROPS).map((c) => c - Math.floor(rand() * 6)) as [
    number,
    number,
    number
  ]
  const garment = pick(GARMENTS)
  const lighting = rand() < 0.3 ? 0.04 + rand() * 0.06 : 0
  const { canvas, width, height, alpha } = compose(image, margins, backdrop, garment, lighting)
  const scale = size / (2 * IMAGE_SIZE)
  const fullW = Math.round(width * scale)
  const fullH = Math.round(height * scale)

  const r = rand()
  const variant =
    o.variety === 'jpeg'
      ? 'jpeg'
      : index === 0
        ? 'cmyk'
        : index === 1
          ? 'png16'
          : r < 0.6
            ? 'jpeg'
            : r < 0.72
              ? 'png'
              : r < 0.82
                ? 'webp'
                : r < 0.9
                  ? 'alpha'
                  : 'exif'
  const channels = variant === 'alpha' ? 4 : 3
  const raw = variant === 'alpha' ? withAlpha(canvas, alpha, garment) : canvas
  // One libvips pipeline per file: upscale, then encode (EXIF rotation needs a second one).
  const img = sharp(raw, { raw: { width, height, channels } }).resize(fullW, fullH, {
    kernel: 'cubic'
  })
  const base = String(index).padStart(5, '0')
  let file: string
  switch (variant) {
    case 'cmyk':
      file = `${base}.jpg`
      await img.toColourspace('cmyk').jpeg({ quality: 90 }).toFile(join(o.outDir, file))
      break
    case 'png16':
      file = `${base}.png`
      await img.toColourspace('rgb16').png().toFile(join(o.outDir, file))
      break
    case 'png':
    case 'alpha':
      file = `${base}.png`
      await img.png({ compressionLevel: 3 }).toFile(join(o.outDir, file))
      break
    case 'webp':
      file = `${base}.webp`
      await img.webp({ quality: 70 + Math.floor(rand() * 25) }).toFile(join(o.outDir, file))
      break
    case 'exif': {
      // Stored sideways with the EXIF tag that tells viewers (and our decoder) how to turn it back.
      const [orientation, angle] = pick([
        [6, 270],
        [8, 90],
        [3, 180]
      ] as const)
      file = `${base}.jpg`
      const upright = await img.raw().toBuffer({ resolveWithObject: true })
      await sharp(upright.data, {
        raw: { width: upright.info.width, height: upright.info.height, channels: 3 }
      })
        .rotate(angle)
        .jpeg({ quality: 88 })
        .withMetadata({ orientation })
        .toFile(join(o.outDir, file))
      break
    }
    default:
      file = `${base}.jpg`
      await img.jpeg({ quality: 60 + Math.floor(rand() * 36) }).toFile(join(o.outDir, file))
  }
  return { file, index, label: o.labels[index]!, variant }
}

/**
 * The photo at twice the dataset's resolution (garment 56 px) with its margins: Fashion-MNIST
 * intensity v becomes garment colour with weight v/255 over the backdrop, which darkens slightly
 * towards one side when `lighting` > 0 (an uneven studio light).
 */
function compose(
  image: Uint8Array,
  margins: [number, number, number, number],
  backdrop: [number, number, number],
  garment: [number, number, number],
  lighting: number
) {
  const g = 2 * IMAGE_SIZE
  const [ml, mt, mr, mb] = margins.map((m) => Math.round(m * g)) as [number, number, number, number]
  const width = ml + g + mr
  const height = mt + g + mb
  const canvas = Buffer.alloc(width * height * 3)
  const alpha = new Float32Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const shade = 1 - lighting * (y / height + x / width) * 0.5
      const a = sampleBilinear(image, (x + 0.5 - ml) / 2, (y + 0.5 - mt) / 2) / 255
      alpha[y * width + x] = a
      for (let c = 0; c < 3; c++) {
        const bg = backdrop[c]! * shade
        canvas[3 * (y * width + x) + c] = Math.round(bg * (1 - a) + garment[c]! * a)
      }
    }
  }
  return { canvas, width, height, alpha }
}

/** RGBA cut-out: garment colour, opacity from the dataset's intensity, transparent backdrop. */
function withAlpha(canvas: Buffer, alpha: Float32Array, garment: number[]): Buffer {
  const out = Buffer.alloc(alpha.length * 4)
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i]!
    for (let c = 0; c < 3; c++) out[4 * i + c] = a > 0 ? garment[c]! : canvas[3 * i + c]! >> 3
    out[4 * i + 3] = Math.round(255 * a)
  }
  return out
}

/** The 28x28 image at a fractional position (pixel centres at .5), 0 outside. */
function sampleBilinear(image: Uint8Array, x: number, y: number): number {
  const fx = x - 0.5
  const fy = y - 0.5
  const x0 = Math.floor(fx)
  const y0 = Math.floor(fy)
  const at = (xx: number, yy: number): number =>
    xx < 0 || yy < 0 || xx >= IMAGE_SIZE || yy >= IMAGE_SIZE ? 0 : image[yy * IMAGE_SIZE + xx]!
  const tx = fx - x0
  const ty = fy - y0
  return (
    (at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx) * (1 - ty) +
    (at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx) * ty
  )
}
