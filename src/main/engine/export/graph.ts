// The exporters' common view of a model: a chain of layers with resolved shapes and their weights,
// parsed from the tfjs layers JSON. Shapes leave out the batch dimension; tensors are channels-last
// (NHWC), as in tfjs and Keras. Each exporter (Keras, ONNX) only maps these few kinds.

/** Activations that tfjs, Keras 3 and ONNX compute with the same formula. */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'tanh',
  'softmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'swish'
] as const
export type Activation = (typeof ACTIVATIONS)[number]

export interface Weight {
  shape: number[]
  data: Float32Array
}

export type Padding = 'valid' | 'same'

export type LayerKind =
  | { kind: 'dense'; units: number; activation: Activation; kernel: Weight; bias?: Weight }
  | {
      kind: 'conv2d'
      filters: number
      kernelSize: [number, number]
      strides: [number, number]
      dilation: [number, number]
      padding: Padding
      activation: Activation
      kernel: Weight
      bias?: Weight
    }
  | {
      kind: 'pool2d'
      op: 'max' | 'average'
      poolSize: [number, number]
      strides: [number, number]
      padding: Padding
    }
  | {
      kind: 'batchNorm'
      epsilon: number
      momentum: number
      gamma?: Weight
      beta?: Weight
      movingMean: Weight
      movingVariance: Weight
    }
  | { kind: 'dropout'; rate: number }
  | { kind: 'flatten' }
  | { kind: 'activation'; activation: Activation }
  /** Keras's ReLU layer; only the plain and the capped forms (max_value) are exported. */
  | { kind: 'relu'; maxValue: number | null }
  /** Axis counts the batch dimension, as in the layer's config (tfjs's default is 1). */
  | { kind: 'softmax'; axis: number }
  | { kind: 'reshape'; targetShape: number[] }

export type Layer = LayerKind & {
  name: string
  /** tfjs class name (Dense, Conv2D, ...), for messages and Keras's config. */
  className: string
  inputShape: number[]
  outputShape: number[]
}

export interface ModelGraph {
  name: string
  inputShape: number[]
  layers: Layer[]
  outputShape: number[]
}

/** The layer's weights in Keras's variable order (kernel, bias; gamma, beta, mean, variance). */
export function layerWeights(layer: Layer): Weight[] {
  switch (layer.kind) {
    case 'dense':
    case 'conv2d':
      return layer.bias ? [layer.kernel, layer.bias] : [layer.kernel]
    case 'batchNorm':
      return [layer.gamma, layer.beta, layer.movingMean, layer.movingVariance].filter(
        (w): w is Weight => w !== undefined
      )
    default:
      return []
  }
}

/** True when the model's last step is a softmax, so its output is class probabilities. */
export function endsInSoftmax(graph: ModelGraph): boolean {
  const last = graph.layers[graph.layers.length - 1]
  if (!last) return false
  if (last.kind === 'softmax') return true
  if (last.kind === 'dense' || last.kind === 'activation' || last.kind === 'conv2d') {
    return last.activation === 'softmax'
  }
  return false
}
