// A saved model's weights as the flat vector the training loop works on ([W1, b1, W2, b2, ...],
// kernels fanIn x fanOut row-major: DenseNetwork's order). A tfjs Sequential of Dense layers stores
// exactly that, kernel then bias per layer, in weights.bin; this checks it layer by layer rather
// than trusting it, since a model of another shape would otherwise train as garbage.
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import { isPlainDense, type TrainConfig } from '@shared/training'
import type { ModelArtifacts } from '../worker/protocol'
import { buildArchitecture, paramSpecs } from './architecture'

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

/**
 * The weights of a saved model as the flat vector its training network starts from: the dense fast
 * path's layout for plain dense models, per-layer ParamSpec order for every other preset. tfjs saves
 * all trainable weights before the non-trainable ones (batch normalization's moving statistics), so
 * this reorders them by layer, matching each weight by name and checking every shape.
 */
export function initialWeightsFromArtifacts(
  artifacts: ModelArtifacts,
  config: TrainConfig
): Float32Array {
  if (isPlainDense(config)) return flatWeightsFromArtifacts(artifacts, config.hiddenUnits)
  const specs = paramSpecs(buildArchitecture(config))
  const saved = artifacts.weightSpecs
  if (saved.length !== specs.length) {
    throw new Error(
      `the model has ${saved.length} weight tensors, a ${config.preset} network with these settings has ${specs.length}`
    )
  }
  const data = new Float32Array(artifacts.weightData)
  const offsets: number[] = []
  let offset = 0
  for (const s of saved) {
    offsets.push(offset)
    offset += s.shape.reduce((a, b) => a * b, 1)
  }
  if (offset !== data.length) {
    throw new Error(`the model has ${data.length} weight values, its weight list names ${offset}`)
  }
  // Saved order within each group is layer order, so the k-th saved weight of a role group maps to
  // the k-th spec of that group.
  const trainable = saved.map((_, i) => i).filter((i) => !isMovingStat(saved[i]!.name))
  const moving = saved.map((_, i) => i).filter((i) => isMovingStat(saved[i]!.name))
  const order = [...trainable, ...moving]
  const specOrder = [
    ...specs.map((_, i) => i).filter((i) => specs[i]!.trainable),
    ...specs.map((_, i) => i).filter((i) => !specs[i]!.trainable)
  ]
  const out = new Float32Array(offset)
  const specOffsets: number[] = []
  let o = 0
  for (const s of specs) {
    specOffsets.push(o)
    o += s.shape.reduce((a, b) => a * b, 1)
  }
  specOrder.forEach((specIndex, k) => {
    const savedIndex = order[k]!
    const want = specs[specIndex]!.shape
    const have = saved[savedIndex]!.shape
    if (want.join(',') !== have.join(',')) {
      throw new Error(
        `weight ${saved[savedIndex]!.name} is [${have.join(',')}], the network expects [${want.join(',')}] there`
      )
    }
    const n = want.reduce((a, b) => a * b, 1)
    out.set(data.subarray(offsets[savedIndex]!, offsets[savedIndex]! + n), specOffsets[specIndex]!)
  })
  return out
}

function isMovingStat(name: string): boolean {
  return /\/moving_(mean|variance)$/.test(name)
}
