// The image endpoint's pipeline: a product photo to the 28x28 image the model expects, through the
// same preprocessing as folder classification (src/main/engine/photos), with its pixel limit
// against decompression bombs.
import { preprocessPhoto } from '../engine/photos/preprocess'

export async function preprocessForServing(image: Buffer): Promise<Uint8Array> {
  return (await preprocessPhoto(image)).pixels
}
