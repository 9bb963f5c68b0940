// A saved model's weights as the flat vector the training loop works on ([W1, b1, W2, b2, ...],
// kernels fanIn x fanOut row-major: DenseNetwork's order). A tfjs Sequential of Dense layers stores
// exactly that, kernel then bias per layer, in weights.bin; this checks it layer by layer rather
// than trusting it, since a model of another shape would otherwise train as garbage.
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import type { ModelArtifacts } from '../worker/protocol'

/** The weights of a dense model with these hidden layers, as one Float32Array (a copy). */
export function flatWeightsFromArtifacts(
  artifacts: ModelArtifacts,
  hiddenUnits: number[]
): Float32Array {
  const sizes = [IMAGE_PIXELS, ...hiddenUnits, NUM_CLASSES]
  const expected: number[][] = []
  for (let i = 0; i + 1 < sizes.length; i++) {
    expected.push([sizes[i]!, sizes[i + 1]!], [sizes[i + 1]!])
  }
  const specs = artifacts.weightSpecs
  const describe = (shapes: number[][]): string => shapes.map((s) => `[${s.join(',')}]`).join(' ')
  const same =
    specs.length === expected.length &&
    specs.every((s, i) => s.dtype === 'float32' && s.shape.join(',') === expected[i]!.join(','))
  if (!same) {
    throw new Error(
      `the model's weights are ${describe(specs.map((s) => s.shape))}, not those of a ${sizes.join('-')} dense network (${describe(expected)})`
    )
  }
  const count = expected.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0)
  if (artifacts.weightData.byteLength !== count * 4) {
    throw new Error(
      `the model has ${artifacts.weightData.byteLength} bytes of weights, expected ${count * 4}`
    )
  }
  return new Float32Array(artifacts.weightData.slice(0))
}
