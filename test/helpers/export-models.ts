// Hand-made tfjs layers model directories for the export tests that need no TensorFlow: a layer list
// in model.json's Keras JSON and deterministic weights in weights.bin, so each test can state exactly
// the model (or the defect) it is about.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface TinyLayer {
  class_name: string
  config: Record<string, unknown>
  /** Weights of this layer: suffix (kernel, bias, gamma, ...) and shape. */
  weights?: [string, number[]][]
}

/** A layer's spec; the first layer of a model also needs `batch_input_shape` in its config. */
export function layer(
  className: string,
  name: string,
  config: Record<string, unknown> = {},
  weights: [string, number[]][] = []
): TinyLayer {
  return { class_name: className, config: { name, ...config }, weights }
}

/** Writes model.json + weights.bin (+ metadata.json when given); returns the weight values. */
export async function writeTinyModel(
  dir: string,
  layers: TinyLayer[],
  options: { metadata?: object; className?: string; value?: (i: number) => number } = {}
): Promise<Float32Array> {
  await mkdir(dir, { recursive: true })
  const specs = layers.flatMap((l) =>
    (l.weights ?? []).map(([suffix, shape]) => ({
      name: `${String(l.config.name)}/${suffix}`,
      shape,
      dtype: 'float32'
    }))
  )
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
  // Deterministic, varied, small values; variances must stay positive, so all are > 0.
  const value = options.value ?? ((i: number) => 0.05 + ((i * 7919) % 101) / 200)
  const weights = Float32Array.from({ length: total }, (_, i) => value(i))
  const modelJson = {
    modelTopology: {
      class_name: options.className ?? 'Sequential',
      config: {
        name: 'tiny',
        layers: layers.map((l) => ({ class_name: l.class_name, config: l.config }))
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js'
    },
    format: 'layers-model',
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }]
  }
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson))
  await writeFile(join(dir, 'weights.bin'), new Uint8Array(weights.buffer))
  if (options.metadata)
    await writeFile(join(dir, 'metadata.json'), JSON.stringify(options.metadata))
  return weights
}

/** The seed's architecture at a tiny size: 784 -> 8 (relu) -> 10 (softmax). */
export function tinyDenseLayers(): TinyLayer[] {
  return [
    layer('Dense', 'hidden', { units: 8, activation: 'relu', batch_input_shape: [null, 784] }, [
      ['kernel', [784, 8]],
      ['bias', [8]]
    ]),
    layer('Dense', 'output', { units: 10, activation: 'softmax' }, [
      ['kernel', [8, 10]],
      ['bias', [10]]
    ])
  ]
}
