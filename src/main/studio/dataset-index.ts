// Fast paging over a dataset split, optionally filtered by class: the indices of each class are
// computed once per split, so any page of 70,000 images is a slice, not a scan.
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import { bytesToBase64, type ImageItem, type ImagePage } from '@shared/studio-api'
import type { Split } from '../engine/data/fashion-mnist'

export class SplitIndex {
  private readonly byClass: Int32Array[]

  constructor(private readonly split: Split) {
    const counts = new Array<number>(NUM_CLASSES).fill(0)
    for (const l of split.labels) counts[l]!++
    this.byClass = counts.map((n) => new Int32Array(n))
    const fill = new Array<number>(NUM_CLASSES).fill(0)
    split.labels.forEach((l, i) => (this.byClass[l]![fill[l]!++] = i))
  }

  /** Images per class, indexed by label. */
  counts(): number[] {
    return this.byClass.map((a) => a.length)
  }

  /** One page of images, all classes or one. */
  page(label: number | null, offset: number, limit: number): ImagePage {
    const total = label === null ? this.split.count : this.byClass[label]!.length
    const items: ImageItem[] = []
    for (let k = offset; k < Math.min(total, offset + limit); k++) {
      const index = label === null ? k : this.byClass[label]![k]!
      items.push(imageItem(this.split, index))
    }
    return { total, offset, items }
  }
}

/** The image at `index` with its label and base64 pixels. */
export function imageItem(split: Split, index: number): ImageItem {
  const pixels = split.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS)
  return { index, label: split.labels[index]!, pixels: bytesToBase64(pixels) }
}
