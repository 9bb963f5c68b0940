// Each layer of a ModelGraph as ONNX nodes, in the layout onnx-file.ts has arranged: NCHW for
// convolution, pooling and 4-D batch normalization, channels-last for everything else.
import { ExportError } from './errors'
import type { Activation, Layer, Weight } from './graph'
import type { OnnxGraphBuilder } from './onnx-graph'
import { samePadding } from './shapes'

/** Adds the nodes of one layer reading `x`; returns the layer's output. */
export function emit(g: OnnxGraphBuilder, layer: Layer, x: string): string {
  const n = layer.name
  switch (layer.kind) {
    case 'dense': {
      const w = g.floats(`${n}/kernel`, layer.kernel.shape, layer.kernel.data)
      const b = layer.bias && g.floats(`${n}/bias`, layer.bias.shape, layer.bias.data)
      let y: string
      if (layer.inputShape.length === 1) y = g.node('Gemm', b ? [x, w, b] : [x, w], {}, `${n}/Gemm`)
      else {
        y = g.node('MatMul', [x, w], {}, `${n}/MatMul`)
        if (b) y = g.node('Add', [y, b], {}, `${n}/Add`)
      }
      return activation(g, layer, y, layer.activation)
    }
    case 'conv2d': {
      const [kh, kw] = layer.kernelSize
      const w = g.floats(
        `${n}/kernel`,
        [layer.filters, layer.inputShape[2] as number, kh, kw],
        hwioToOihw(layer.kernel)
      )
      const b = layer.bias && g.floats(`${n}/bias`, layer.bias.shape, layer.bias.data)
      const y = g.node(
        'Conv',
        b ? [x, w, b] : [x, w],
        {
          kernel_shape: layer.kernelSize,
          strides: layer.strides,
          dilations: layer.dilation,
          pads: pads(
            layer.inputShape,
            layer.kernelSize,
            layer.strides,
            layer.dilation,
            layer.padding
          ),
          group: 1
        },
        `${n}/Conv`
      )
      return activation(g, layer, y, layer.activation)
    }
    case 'pool2d': {
      const attrs = {
        kernel_shape: layer.poolSize,
        strides: layer.strides,
        pads: pads(layer.inputShape, layer.poolSize, layer.strides, [1, 1], layer.padding)
      }
      // TensorFlow averages over the window's pixels inside the image only: count_include_pad 0.
      return layer.op === 'max'
        ? g.node('MaxPool', [x], attrs, `${n}/MaxPool`)
        : g.node('AveragePool', [x], { ...attrs, count_include_pad: 0 }, `${n}/AveragePool`)
    }
    case 'batchNorm': {
      if (layer.inputShape.length !== 1 && layer.inputShape.length !== 3) {
        throw new ExportError(
          `layer "${n}": BatchNormalization of a rank-${layer.inputShape.length + 1} tensor does not export to ONNX`
        )
      }
      const c = layer.movingMean.shape
      const scale = layer.gamma?.data ?? new Float32Array(c[0] as number).fill(1)
      const bias = layer.beta?.data ?? new Float32Array(c[0] as number)
      return g.node(
        'BatchNormalization',
        [
          x,
          g.floats(`${n}/gamma`, c, scale),
          g.floats(`${n}/beta`, c, bias),
          g.floats(`${n}/moving_mean`, c, layer.movingMean.data),
          g.floats(`${n}/moving_variance`, c, layer.movingVariance.data)
        ],
        { epsilon: { float: layer.epsilon } },
        `${n}/BatchNormalization`
      )
    }
    case 'dropout':
      // Dropout only acts in training; at inference it is the identity.
      return g.node('Identity', [x], {}, `${n}/Identity`)
    case 'flatten':
      return g.node('Flatten', [x], { axis: 1 }, `${n}/Flatten`)
    case 'reshape':
      // 0 copies the batch dimension from the input.
      return g.node(
        'Reshape',
        [x, g.int64s(`${n}/shape`, [0, ...layer.outputShape])],
        {},
        `${n}/Reshape`
      )
    case 'activation':
      return activation(g, layer, x, layer.activation)
    case 'relu':
      if (layer.maxValue === null) return g.node('Relu', [x], {}, `${n}/Relu`)
      return g.node(
        'Clip',
        [
          x,
          g.floats(`${n}/min`, [], new Float32Array([0])),
          g.floats(`${n}/max`, [], new Float32Array([layer.maxValue]))
        ],
        {},
        `${n}/Clip`
      )
    case 'softmax':
      return g.node('Softmax', [x], { axis: layer.axis }, `${n}/Softmax`)
  }
}

/** Keras's activations as ONNX operators (the formulas tfjs and Keras 3 share). */
function activation(g: OnnxGraphBuilder, layer: Layer, x: string, act: Activation): string {
  const n = layer.name
  switch (act) {
    case 'linear':
      return x
    case 'relu':
      return g.node('Relu', [x], {}, `${n}/Relu`)
    case 'relu6':
      return g.node(
        'Clip',
        [
          x,
          g.floats(`${n}/min`, [], new Float32Array([0])),
          g.floats(`${n}/max`, [], new Float32Array([6]))
        ],
        {},
        `${n}/Relu6`
      )
    case 'sigmoid':
      return g.node('Sigmoid', [x], {}, `${n}/Sigmoid`)
    case 'tanh':
      return g.node('Tanh', [x], {}, `${n}/Tanh`)
    case 'softmax':
      // Keras's softmax activation normalises the last axis.
      return g.node('Softmax', [x], { axis: -1 }, `${n}/Softmax`)
    case 'elu':
      return g.node('Elu', [x], { alpha: { float: 1 } }, `${n}/Elu`)
    case 'selu':
      // ONNX's defaults are the SELU constants of Klambauer et al., as in tfjs and Keras.
      return g.node('Selu', [x], {}, `${n}/Selu`)
    case 'softplus':
      return g.node('Softplus', [x], {}, `${n}/Softplus`)
    case 'softsign':
      return g.node('Softsign', [x], {}, `${n}/Softsign`)
    case 'swish':
      return g.node('Mul', [x, g.node('Sigmoid', [x], {}, `${n}/Sigmoid`)], {}, `${n}/Swish`)
  }
}

/** ONNX pads [top, left, bottom, right] reproducing TensorFlow's 'valid' / 'same'. */
function pads(
  input: number[],
  window: [number, number],
  strides: [number, number],
  dilation: [number, number],
  padding: 'valid' | 'same'
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0]
  const [top, bottom] = samePadding(input[0] as number, window[0], strides[0], dilation[0])
  const [left, right] = samePadding(input[1] as number, window[1], strides[1], dilation[1])
  return [top, left, bottom, right]
}

/** Keras's conv kernel [kh, kw, in, out] as ONNX's [out, in, kh, kw]. */
function hwioToOihw(kernel: Weight): Float32Array {
  const [kh, kw, ci, co] = kernel.shape as [number, number, number, number]
  const out = new Float32Array(kernel.data.length)
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) {
          out[((o * ci + i) * kh + h) * kw + w] = kernel.data[
            ((h * kw + w) * ci + i) * co + o
          ] as number
        }
  return out
}
