// The paper's pipeline on synthetic rasters with known answers: where the box is, what the
// background becomes, how the product is scaled and centred.
import { describe, expect, it } from 'vitest'
import {
  centre,
  estimateBackground,
  findProductBox,
  resample,
  sharpen,
  targetSize,
  toFashionMnist,
  type Rgb
} from '../../../src/main/engine/photos/raster'

/** A w x h raster of `bg`, with `fg` painted over [x0, x1) x [y0, y1). */
function raster(
  w: number,
  h: number,
  bg: (x: number, y: number) => number[],
  rects: { x0: number; y0: number; x1: number; y1: number; fg: number[] }[] = []
): Rgb {
  const data = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const r = rects.find((q) => x >= q.x0 && x < q.x1 && y >= q.y0 && y < q.y1)
      const c = r ? r.fg : bg(x, y)
      data.set(c, 3 * (y * w + x))
    }
  return { data, width: w, height: h }
}

const flat = (c: number[]) => () => c
const at = (px: Uint8Array, x: number, y: number) => px[y * 28 + x]!

/** Bounding box of the non-zero pixels of a 28x28 image. */
function extent(px: Uint8Array) {
  let [l, t, r, b] = [28, 28, -1, -1]
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++)
      if (at(px, x, y) > 0)
        [l, t, r, b] = [Math.min(l, x), Math.min(t, y), Math.max(r, x), Math.max(b, y)]
  return { left: l, top: t, width: r - l + 1, height: b - t + 1 }
}

describe('findProductBox', () => {
  it('finds a dark product on a beige backdrop exactly', () => {
    const img = raster(160, 120, flat([236, 224, 200]), [
      { x0: 40, y0: 20, x1: 100, y1: 110, fg: [30, 40, 70] }
    ])
    expect(findProductBox(img, estimateBackground(img))).toEqual({
      left: 40,
      top: 20,
      width: 60,
      height: 90
    })
  })

  it('is not widened by a speck of dust or fooled by an uneven light', () => {
    // Backdrop 30 levels darker at the bottom right than the top left: more than 5% of 255.
    const shade = (x: number, y: number) =>
      [245, 240, 235].map((c) => c - Math.round((15 * (x + y)) / 140))
    const img = raster(160, 120, shade, [
      { x0: 60, y0: 30, x1: 90, y1: 80, fg: [20, 20, 20] },
      { x0: 5, y0: 5, x1: 6, y1: 6, fg: [0, 0, 0] } // one pixel of dust
    ])
    expect(findProductBox(img, estimateBackground(img))).toEqual({
      left: 60,
      top: 30,
      width: 30,
      height: 50
    })
  })

  it('copes with a product covering a corner (that corner is not taken as backdrop)', () => {
    const img = raster(160, 120, flat([250, 250, 248]), [
      { x0: 0, y0: 0, x1: 50, y1: 70, fg: [40, 40, 40] }
    ])
    expect(findProductBox(img, estimateBackground(img))).toEqual({
      left: 0,
      top: 0,
      width: 50,
      height: 70
    })
  })

  it('returns nothing for a flat image', () => {
    const img = raster(40, 30, flat([200, 200, 200]))
    expect(findProductBox(img, estimateBackground(img))).toBeUndefined()
    expect(toFashionMnist(img)).toBeUndefined()
  })
})

describe('toFashionMnist', () => {
  it('makes tinted backdrops black and the darkest product white, longest edge 28, centred', () => {
    for (const backdrop of [
      [250, 250, 248],
      [236, 224, 200],
      [222, 222, 222],
      [220, 232, 245]
    ]) {
      const img = raster(160, 120, flat(backdrop), [
        { x0: 50, y0: 10, x1: 90, y1: 110, fg: [28, 38, 72] }
      ])
      const px = toFashionMnist(img)!.pixels
      expect(px).toHaveLength(784)
      // 40 x 100 -> 11 x 28 (rounded), centred with the odd pixel on the left: left margin 9.
      expect(extent(px)).toEqual({ left: 9, top: 0, width: 11, height: 28 })
      expect(at(px, 0, 0)).toBe(0)
      expect(at(px, 27, 14)).toBe(0)
      expect(at(px, 14, 14)).toBeGreaterThanOrEqual(250)
    }
  })

  it('keeps a light product on a dark backdrop light (no negation)', () => {
    const img = raster(100, 100, flat([20, 20, 25]), [
      { x0: 20, y0: 20, x1: 80, y1: 80, fg: [230, 230, 230] }
    ])
    const px = toFashionMnist(img)!.pixels
    expect(at(px, 14, 14)).toBeGreaterThanOrEqual(250)
    expect(extent(px)).toEqual({ left: 0, top: 0, width: 28, height: 28 })
  })

  it('keeps the product’s shading: a mid-grey half stays darker than the black half', () => {
    const img = raster(120, 120, flat([250, 250, 250]), [
      { x0: 10, y0: 10, x1: 60, y1: 110, fg: [0, 0, 0] },
      { x0: 60, y0: 10, x1: 110, y1: 110, fg: [128, 128, 128] }
    ])
    const px = toFashionMnist(img)!.pixels
    expect(at(px, 7, 14)).toBeGreaterThanOrEqual(250)
    expect(at(px, 20, 14)).toBeGreaterThan(100)
    expect(at(px, 20, 14)).toBeLessThan(160)
  })

  it('enlarges a product smaller than 28 pixels (tiny photos)', () => {
    const img = raster(8, 6, flat([255, 255, 255]), [{ x0: 2, y0: 1, x1: 6, y1: 5, fg: [0, 0, 0] }])
    const px = toFashionMnist(img)!.pixels
    expect(extent(px)).toEqual({ left: 0, top: 0, width: 28, height: 28 })
  })
})

describe('resampling and the 28x28 frame', () => {
  it('area averaging keeps the mean when shrinking', () => {
    const src = Float32Array.from({ length: 100 * 60 }, (_, i) => (i % 7) / 7)
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length
    const { width, height } = targetSize(100, 60)
    expect([width, height]).toEqual([28, 17])
    expect(mean(resample(src, 100, 60, width, height))).toBeCloseTo(mean(src), 2)
  })

  it('sharpening leaves flat areas alone and raises an edge', () => {
    const flatPlane = new Float32Array(25).fill(0.5)
    expect([...sharpen(flatPlane, 5, 5)].every((v) => Math.abs(v - 0.5) < 1e-6)).toBe(true)
    const step = Float32Array.from({ length: 25 }, (_, i) => (i % 5 >= 3 ? 1 : 0))
    const s = sharpen(step, 5, 5)
    // Clipped on both sides of the edge, as 8-bit values would be; unchanged far from it.
    expect([...s.subarray(0, 5)]).toEqual([0, 0, 0, 1, 1])
    const ramp = Float32Array.from({ length: 25 }, (_, i) => 0.3 + 0.1 * (i % 5 >= 3 ? 1 : 0))
    const r = sharpen(ramp, 5, 5)
    expect(r[3]).toBeGreaterThan(0.4) // overshoot on the bright side of the edge
    expect(r[2]).toBeLessThan(0.3) // undershoot on the dark side
  })

  it('centres with the odd leftover pixel on the left and top, as Fashion-MNIST does', () => {
    const px = centre(new Float32Array(3 * 2).fill(1), 3, 2)
    expect(extent(px)).toEqual({ left: 13, top: 13, width: 3, height: 2 })
  })
})
