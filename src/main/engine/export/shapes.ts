// Output shapes of the layers, computed the way TensorFlow does (batch dimension left out), so every
// exporter can write static shapes and the parser can check the weights against them.
import { ExportError } from './errors'
import type { Padding } from './graph'

/** Spatial size after a convolution or pooling window, as TensorFlow computes it. */
export function windowOutput(
  size: number,
  window: number,
  stride: number,
  dilation: number,
  padding: Padding
): number {
  const effective = (window - 1) * dilation + 1
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - effective) / stride) + 1
}

/** TensorFlow's 'same' padding for one spatial axis: [before, after], the odd pixel after. */
export function samePadding(
  size: number,
  window: number,
  stride: number,
  dilation: number
): [number, number] {
  const effective = (window - 1) * dilation + 1
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + effective - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

/** Resolves a Reshape target (one entry may be -1) against the input's element count. */
export function resolveReshape(layer: string, input: number[], target: number[]): number[] {
  const count = product(input)
  const known = target.filter((d) => d !== -1)
  const unknown = target.length - known.length
  if (unknown > 1 || known.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ExportError(`layer "${layer}": invalid Reshape target [${target.join(', ')}]`)
  }
  const rest = count / product(known)
  const resolved = target.map((d) => (d === -1 ? rest : d))
  if (!Number.isInteger(rest) || product(resolved) !== count) {
    throw new ExportError(
      `layer "${layer}": cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`
    )
  }
  return resolved
}

export function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}
