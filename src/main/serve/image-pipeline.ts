// The image endpoint's pipeline: a product photo to the 28x28 image the model expects, through the
// same preprocessing as folder classification.
export async function preprocessForServing(image: Buffer): Promise<Uint8Array> {
  void image
  throw new Error('the product-photo pipeline is not available in this build')
}
