import { describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import { fillBatch, fillTargets } from '../../../src/main/engine/training/augment'
import { mulberry32 } from '../../../src/main/engine/training/random'

/** One image with a single lit pixel at (row, col). */
function dot(row: number, col: number): Uint8Array {
  const img = new Uint8Array(IMAGE_PIXELS)
  img[row * 28 + col] = 255
  return img
}

function litPixel(out: Float32Array): [number, number] | null {
  const i = out.findIndex((v) => v > 0)
  return i < 0 ? null : [Math.floor(i / 28), i % 28]
}

describe('fillBatch', () => {
  it('copies and scales to 0..1 without augmentation', () => {
    const out = new Float32Array(IMAGE_PIXELS)
    fillBatch(out, dot(3, 4), [0], null, Math.random)
    expect(litPixel(out)).toEqual([3, 4])
    expect(out[3 * 28 + 4]).toBe(1)
  })

  it('shifts by at most `shift` pixels, and mirrors left-right about half of the time', () => {
    const random = mulberry32(1)
    const out = new Float32Array(IMAGE_PIXELS)
    let mirrored = 0
    for (let i = 0; i < 400; i++) {
      fillBatch(out, dot(14, 5), [0], { shift: 2, flip: true, erase: false }, random)
      const [r, c] = litPixel(out)!
      expect(Math.abs(r - 14)).toBeLessThanOrEqual(2)
      const unflipped = Math.abs(c - 5) <= 2
      const flipped = Math.abs(c - 22) <= 2
      expect(unflipped || flipped).toBe(true)
      if (flipped) mirrored++
    }
    expect(mirrored).toBeGreaterThan(150)
    expect(mirrored).toBeLessThan(250)
  })

  it('erases a rectangle of 2-20% of the image in about half of the images', () => {
    const random = mulberry32(2)
    const full = new Uint8Array(IMAGE_PIXELS).fill(255)
    const out = new Float32Array(IMAGE_PIXELS)
    let erased = 0
    for (let i = 0; i < 400; i++) {
      fillBatch(out, full, [0], { shift: 0, flip: false, erase: true }, random)
      const zeros = out.filter((v) => v === 0).length
      if (zeros > 0) {
        erased++
        expect(zeros).toBeGreaterThanOrEqual(1)
        expect(zeros).toBeLessThanOrEqual(Math.ceil(0.3 * IMAGE_PIXELS))
      }
    }
    expect(erased).toBeGreaterThan(150)
    expect(erased).toBeLessThan(250)
  })
})

describe('fillTargets', () => {
  it('writes one-hot rows, smoothed as Keras does', () => {
    const out = new Float32Array(20)
    fillTargets(out, Uint8Array.from([3, 7]), [1, 0], 0.1)
    expect(out[7]).toBeCloseTo(0.91, 6)
    expect(out[10 + 3]).toBeCloseTo(0.91, 6)
    expect(out[0]).toBeCloseTo(0.01, 6)
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 5)
  })
})
