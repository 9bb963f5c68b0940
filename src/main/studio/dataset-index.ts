// Fast paging over a dataset split, optionally filtered by class: the indices of each class are
// computed once per version of the labels, so any page of 70,000 images is a slice, not a scan. The
// labels are the corrected ones when corrections exist; the files' own labels stay available.
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import type { Mark } from '@shared/labels'
import { bytesToBase64, type ImageItem, type ImagePage } from '@shared/studio-api'
import type { Split } from '../engine/data/fashion-mnist'

export class SplitIndex {
  private readonly byClass: Int32Array[]

  constructor(
    private readonly split: Split,
    /** The labels to show and filter by (corrected); the split's own by default. */
    private readonly labels: Uint8Array = split.labels,
    private readonly marks: ReadonlyMap<number, Mark> = new Map()
  ) {
    const counts = new Array<number>(NUM_CLASSES).fill(0)
    for (const l of labels) counts[l]!++
    this.byClass = counts.map((n) => new Int32Array(n))
    const fill = new Array<number>(NUM_CLASSES).fill(0)
    labels.forEach((l, i) => (this.byClass[l]![fill[l]!++] = i))
  }

  get count(): number {
    return this.split.count
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
      items.push(this.item(label === null ? k : this.byClass[label]![k]!))
    }
    return { total, offset, items }
  }

  /** The image at `index`: its label now, and the original and mark when corrected. */
  item(index: number): ImageItem {
    const item = imageItem(this.split, index)
    const label = this.labels[index]!
    if (label !== item.label) {
      item.originalLabel = item.label
      item.label = label
    }
    const mark = this.marks.get(index)
    if (mark) item.mark = mark
    return item
  }
}

/** The image at `index` with the split's own label and base64 pixels. */
export function imageItem(split: Split, index: number): ImageItem {
  const pixels = split.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS)
  return { index, label: split.labels[index]!, pixels: bytesToBase64(pixels) }
}
