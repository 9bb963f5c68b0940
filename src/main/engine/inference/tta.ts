// Test-time augmentation for any inference engine: each image is also predicted mirrored
// left-right, and the two probability vectors are averaged. Worth it for models trained with
// mirroring (--flip); see the README's presets section.
import { IMAGE_PIXELS, IMAGE_SIZE } from '@shared/classes'
import type { Predictor } from './engines'

/** The images mirrored left-right (each row reversed), same type as given. */
export function mirrorImages<T extends Uint8Array | Float32Array>(images: T): T {
  const out = images.slice() as T
  for (let row = 0; row < images.length; row += IMAGE_SIZE) {
    for (let c = 0; c < IMAGE_SIZE; c++) out[row + c] = images[row + IMAGE_SIZE - 1 - c]!
  }
  return out
}

/** The predictor, averaging every prediction with the mirrored image's. */
export function withTta(predictor: Predictor): Predictor {
  return {
    ...predictor,
    predict: async (images) => {
      if (images.length % IMAGE_PIXELS !== 0) return predictor.predict(images)
      const [plain, mirrored] = await Promise.all([
        predictor.predict(images),
        predictor.predict(mirrorImages(images))
      ])
      return plain.map((p, i) => (p + mirrored[i]!) / 2)
    },
    close: () => predictor.close()
  }
}
