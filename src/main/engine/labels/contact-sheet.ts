// A contact sheet of label suggestions: each image enlarged with its index, its given label and the
// suggested one, so a person can judge a few dozen at a glance (and the studio's numbers can be
// checked by eye).
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import sharp from 'sharp'
import { CLASS_NAMES, IMAGE_PIXELS, IMAGE_SIZE } from '@shared/classes'
import { esc, FONT } from '../charts/svg'

export interface SheetItem {
  index: number
  given: number
  suggested: number
  probability: number
}

const SCALE = 5
const CELL_W = 200
const CELL_H = IMAGE_SIZE * SCALE + 58

/** Writes a PNG grid of `items` (their pixels read from `images`, 784 bytes each). */
export async function writeContactSheet(
  file: string,
  images: Uint8Array,
  items: SheetItem[],
  title: string,
  columns = 6
): Promise<void> {
  const rows = Math.ceil(items.length / columns)
  const width = columns * CELL_W
  const height = rows * CELL_H + 40
  const side = IMAGE_SIZE * SCALE
  const thumbs = await Promise.all(
    items.map(async (it, k) => ({
      input: await sharp(images.subarray(it.index * IMAGE_PIXELS, (it.index + 1) * IMAGE_PIXELS), {
        raw: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 1 }
      })
        .resize(side, side, { kernel: 'nearest' })
        .png()
        .toBuffer(),
      left: (k % columns) * CELL_W + (CELL_W - side) / 2,
      top: Math.floor(k / columns) * CELL_H + 40
    }))
  )
  const text = items
    .map((it, k) => {
      const x = (k % columns) * CELL_W + CELL_W / 2
      const y = Math.floor(k / columns) * CELL_H + 40 + side
      return (
        `<text x="${x}" y="${y + 18}" font-size="13" text-anchor="middle">${k + 1}. #${it.index} given ${esc(CLASS_NAMES[it.given] ?? '?')}</text>` +
        `<text x="${x}" y="${y + 36}" font-size="13" text-anchor="middle" fill="#1d4ed8">→ ${esc(CLASS_NAMES[it.suggested] ?? '?')} (${(100 * it.probability).toFixed(0)}%)</text>`
      )
    })
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}"><text x="12" y="26" font-size="16" font-weight="bold">${esc(title)}</text>${text}</svg>`
  await mkdir(dirname(file), { recursive: true })
  await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([...thumbs, { input: Buffer.from(svg), left: 0, top: 0 }])
    .png()
    .toFile(file)
}
