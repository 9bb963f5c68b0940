import { describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import type { Predictor } from '../../../src/main/engine/inference/engines'
import { mirrorImages, withTta } from '../../../src/main/engine/inference/tta'

describe('test-time augmentation', () => {
  it('mirrors every row of every image, for uint8 and float images', () => {
    const images = Uint8Array.from({ length: 2 * IMAGE_PIXELS }, (_, i) => i % 28)
    const mirrored = mirrorImages(images)
    expect(mirrored[0]).toBe(27)
    expect(mirrored[27]).toBe(0)
    expect(mirrored[IMAGE_PIXELS + 28]).toBe(27)
    expect(mirrorImages(mirrored)).toEqual(images)
    expect(mirrorImages(Float32Array.from(images)).constructor).toBe(Float32Array)
  })

  it('averages the prediction of each image with that of its mirror image', async () => {
    // A "model" whose output is its input's first two pixels: the mirror swaps in the last two.
    const firstPixels: Predictor = {
      engine: 'tfjs',
      predict: (images) =>
        Promise.resolve(Float32Array.from([images[0]!, images[1]!].map((v) => v / 255))),
      close: () => Promise.resolve()
    }
    const image = new Uint8Array(IMAGE_PIXELS)
    image[0] = 255
    image[27] = 51
    const out = await withTta(firstPixels).predict(image)
    expect(Array.from(out)).toEqual([(1 + 0.2) / 2, 0].map((v) => Math.fround(v)))
  })
})
