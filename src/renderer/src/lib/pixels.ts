// Fashion-MNIST pixels arrive as 784 base64-encoded grey values; canvases want RGBA.
import { base64ToBytes } from '@shared/studio-api'

/** Grey bytes to opaque RGBA, for ImageData. Shown as stored: light garment on a dark ground. */
export function greyToRgba(grey: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(grey.length * 4)
  for (let i = 0; i < grey.length; i++) {
    const v = grey[i] as number
    rgba[i * 4] = v
    rgba[i * 4 + 1] = v
    rgba[i * 4 + 2] = v
    rgba[i * 4 + 3] = 255
  }
  return rgba
}

export function pixelsToRgba(pixels: string): Uint8ClampedArray<ArrayBuffer> {
  return greyToRgba(base64ToBytes(pixels))
}
