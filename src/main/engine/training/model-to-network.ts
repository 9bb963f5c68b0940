// Prediction with TensorFlow's kernels for the models this engine trains: a saved tfjs Sequential
// model whose layers all have a LayerNetwork equivalent is predicted through LayerNetwork's
// inference pass (oneDNN convolution with its bias, oneDNN pooling), which took 10,000 test images
// of the small CNN in about half the time of tfjs-layers' predict here. Any other model returns null
// and is predicted by tfjs as before.
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import type { NetLayer, Shape3 } from './architecture'

interface LayerLike {
  getClassName(): string
  getConfig(): Record<string, unknown>
  input: { shape: (number | null)[] }
  output: { shape: (number | null)[] }
  getWeights(): Tensor[]
}

/** The model as a layer list with its weights in ParamSpec order, or null when it has no equivalent. */
export function networkFromModel(
  model: LayersModel
): { layers: NetLayer[]; weights: Tensor[] } | null {
  const layers: NetLayer[] = []
  const weights: Tensor[] = []
  const all = model.layers as unknown as LayerLike[]
  for (const [i, layer] of all.entries()) {
    const c = layer.getConfig()
    const last = i === all.length - 1
    const activation = c.activation as string | undefined
    switch (layer.getClassName()) {
      case 'Reshape': {
        const out = c.targetShape as number[]
        if (i !== 0 || out.length !== 3) return null
        layers.push({ kind: 'reshape', out: out as Shape3 })
        break
      }
      case 'Conv2D': {
        const k = c.kernelSize as number[]
        const strides = c.strides as number[]
        const dilation = c.dilationRate as number[] | number
        const dilated = Array.isArray(dilation) ? dilation.some((d) => d !== 1) : dilation !== 1
        if (k[0] !== k[1] || strides.some((s) => s !== 1) || dilated) return null
        if (c.dataFormat !== 'channelsLast') return null
        if (activation !== 'linear' && activation !== 'relu') return null
        layers.push({
          kind: 'conv',
          filters: c.filters as number,
          kernel: k[0]!,
          padding: c.padding === 'same' ? 'SAME' : 'VALID',
          bias: c.useBias as boolean,
          in: (layer.input.shape as number[]).slice(1) as Shape3,
          out: (layer.output.shape as number[]).slice(1) as Shape3
        })
        if (activation === 'relu') layers.push({ kind: 'relu' })
        break
      }
      case 'MaxPooling2D': {
        const pool = c.poolSize as number[]
        const strides = c.strides as number[]
        if (pool.some((p) => p !== 2) || strides.some((s) => s !== 2) || c.padding !== 'valid') {
          return null
        }
        layers.push({
          kind: 'pool',
          in: (layer.input.shape as number[]).slice(1) as Shape3,
          out: (layer.output.shape as number[]).slice(1) as Shape3
        })
        break
      }
      case 'BatchNormalization': {
        const shape = layer.input.shape as number[]
        // ConvOps.batchNorm uses Keras's epsilon 1e-3; center and scale must both be on.
        if (c.epsilon !== 1e-3 || c.center === false || c.scale === false) return null
        const axis = c.axis as number
        if (axis !== -1 && axis !== shape.length - 1) return null
        layers.push({
          kind: 'batchnorm',
          channels: shape[shape.length - 1]!,
          spatial: shape.length === 4
        })
        break
      }
      case 'Activation':
      case 'ReLU':
        if (layer.getClassName() === 'Activation' && activation !== 'relu') return null
        if (layer.getClassName() === 'ReLU' && c.maxValue != null) return null
        layers.push({ kind: 'relu' })
        break
      case 'Flatten':
        layers.push({ kind: 'flatten', size: (layer.output.shape as number[])[1]! })
        break
      case 'Dropout':
        layers.push({ kind: 'dropout', rate: c.rate as number })
        break
      case 'Dense': {
        if (last ? activation !== 'softmax' : activation !== 'linear' && activation !== 'relu') {
          return null
        }
        layers.push({
          kind: 'dense',
          inputs: (layer.input.shape as number[])[1]!,
          units: c.units as number,
          bias: c.useBias as boolean,
          activation: 'linear'
        })
        if (activation === 'relu') layers.push({ kind: 'relu' })
        break
      }
      default:
        return null
    }
    weights.push(...layer.getWeights())
  }
  // The output must be the softmax dense layer, which the caller applies softmax after.
  return layers[layers.length - 1]?.kind === 'dense' ? { layers, weights } : null
}
