// Batch assembly with augmentation, in JavaScript on the uint8 images: a 128-image batch is
// 100,000 pixels, which this copies, shifts, mirrors and erases in well under a millisecond, so
// augmentation costs nothing next to a training step (no extra TensorFlow ops, no copies back).
import { IMAGE_PIXELS, IMAGE_SIZE, NUM_CLASSES } from '@shared/classes'
import type { Augment } from '@shared/training'

const S = IMAGE_SIZE

/**
 * Writes images[indices] scaled to 0..1 into `out` (indices.length x 784), each randomly shifted by
 * up to `shift` pixels (zero fill, like Keras's RandomTranslation with fill 'constant'), mirrored
 * left-right with probability 1/2, and with a random rectangle erased with probability 1/2.
 */
export function fillBatch(
  out: Float32Array,
  images: Uint8Array,
  indices: ArrayLike<number>,
  augment: Augment | null,
  random: () => number
): void {
  const count = indices.length
  for (let k = 0; k < count; k++) {
    const src = indices[k]! * IMAGE_PIXELS
    const dst = k * IMAGE_PIXELS
    if (!augment || (augment.shift === 0 && !augment.flip && !augment.erase)) {
      for (let p = 0; p < IMAGE_PIXELS; p++) out[dst + p] = images[src + p]! / 255
      continue
    }
    const s = augment.shift
    const dx = s > 0 ? Math.floor(random() * (2 * s + 1)) - s : 0
    const dy = s > 0 ? Math.floor(random() * (2 * s + 1)) - s : 0
    const flip = augment.flip && random() < 0.5
    for (let r = 0; r < S; r++) {
      const sr = r - dy
      for (let c = 0; c < S; c++) {
        const sc0 = c - dx
        const sc = flip ? S - 1 - sc0 : sc0
        out[dst + r * S + c] =
          sr >= 0 && sr < S && sc >= 0 && sc < S ? images[src + sr * S + sc]! / 255 : 0
      }
    }
    if (augment.erase && random() < 0.5) eraseRectangle(out, dst, random)
  }
}

/** Random erasing (Zhong et al. 2017): 2-20% of the image, aspect ratio 0.3-3.3, set to 0. */
function eraseRectangle(out: Float32Array, dst: number, random: () => number): void {
  const area = (0.02 + random() * 0.18) * IMAGE_PIXELS
  const aspect = Math.exp(Math.log(0.3) + random() * (Math.log(3.3) - Math.log(0.3)))
  const h = Math.min(S, Math.max(1, Math.round(Math.sqrt(area * aspect))))
  const w = Math.min(S, Math.max(1, Math.round(Math.sqrt(area / aspect))))
  const top = Math.floor(random() * (S - h + 1))
  const left = Math.floor(random() * (S - w + 1))
  for (let r = top; r < top + h; r++) out.fill(0, dst + r * S + left, dst + r * S + left + w)
}

/** One-hot targets, smoothed as Keras's label_smoothing: y * (1 - e) + e / classes. */
export function fillTargets(
  out: Float32Array,
  labels: Uint8Array,
  indices: ArrayLike<number>,
  smoothing: number
): void {
  const off = smoothing / NUM_CLASSES
  out.fill(off)
  for (let k = 0; k < indices.length; k++) {
    out[k * NUM_CLASSES + labels[indices[k]!]!] = 1 - smoothing + off
  }
}
