// The preprocessing contract that travels inside every export (Keras metadata.json, ONNX
// metadata_props, tfjs userDefinedMetadata): what to feed the model and how to read its output, so a
// consumer in another language gets the same predictions as the studio.
import { CLASS_NAMES, IMAGE_SIZE } from '@shared/classes'
import { ExportError } from './errors'
import { endsInSoftmax, type ModelGraph } from './graph'
import type { SourceMetadata } from './source-model'

/** Name of the model input in every format (Keras InputLayer, SavedModel signature, ONNX). */
export const INPUT_NAME = 'pixels'

export interface ExportContract {
  format: 'fashion-studio-contract'
  version: 1
  input: {
    name: string
    dtype: 'float32'
    /** With the batch dimension first (null: any batch size). */
    shape: (number | null)[]
    layout: string
    scale: number
    offset: number
    scaling: string
  }
  output: { name: string; dtype: 'float32'; shape: (number | null)[]; meaning: string }
  classes: string[]
  source: { id?: string; preset?: string; createdAt?: string; testAccuracy?: number }
}

/** The contract of a model: its input and output as exported, and its class names. */
export function buildContract(graph: ModelGraph, metadata: SourceMetadata): ExportContract {
  const units = graph.outputShape[graph.outputShape.length - 1]
  const classes = metadata.classes ?? (units === CLASS_NAMES.length ? [...CLASS_NAMES] : undefined)
  if (!classes || graph.outputShape.length !== 1 || classes.length !== units) {
    throw new ExportError(
      `the model's output [${graph.outputShape.join(', ')}] does not match ${classes?.length ?? 'its'} class names`
    )
  }
  const probabilities = endsInSoftmax(graph)
  return {
    format: 'fashion-studio-contract',
    version: 1,
    input: {
      name: INPUT_NAME,
      dtype: 'float32',
      shape: [null, ...graph.inputShape],
      layout: layoutOf(graph.inputShape),
      scale: 1 / 255,
      offset: 0,
      scaling:
        'x = uint8_pixel / 255 (0..1); grayscale, light garment on a black background, as in Fashion-MNIST'
    },
    output: {
      name: probabilities ? 'probabilities' : 'scores',
      dtype: 'float32',
      shape: [null, units],
      meaning: probabilities
        ? 'softmax probabilities, one per class, in the order of classes'
        : 'unnormalised scores, one per class, in the order of classes'
    },
    classes,
    source: {
      id: metadata.id,
      preset: metadata.preset,
      createdAt: metadata.createdAt,
      testAccuracy: metadata.metrics?.testAccuracy
    }
  }
}

function layoutOf(shape: number[]): string {
  const px = IMAGE_SIZE * IMAGE_SIZE
  if (shape.length === 1 && shape[0] === px) {
    return `flat: each row is one ${IMAGE_SIZE}x${IMAGE_SIZE} image, row-major (pixel (r, c) at r * ${IMAGE_SIZE} + c)`
  }
  if (shape.length === 3) return 'NHWC: [batch, height, width, channels] (channels last)'
  return `[batch, ${shape.join(', ')}]`
}

/** One paragraph for doc strings and the command line. */
export function describeContract(c: ExportContract): string {
  const shape = (s: (number | null)[]) => `[${s.map((d) => d ?? 'N').join(', ')}]`
  return [
    `input "${c.input.name}": ${c.input.dtype} ${shape(c.input.shape)}, ${c.input.layout}; ${c.input.scaling}.`,
    `output "${c.output.name}": ${c.output.dtype} ${shape(c.output.shape)}, ${c.output.meaning}.`,
    `classes: ${c.classes.map((n, i) => `${i} ${n}`).join(', ')}.`
  ].join(' ')
}
