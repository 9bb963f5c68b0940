// The layer list a TrainConfig describes. A conv block is conv (-> batch norm -> relu -> conv ...)
// -> max pool (-> batch norm) -> ReLU. ReLU comes after pooling rather than before because max
// pooling commutes with any increasing function, so the result is the same as Keras's
// conv-relu-pool while the ReLU (and its gradient) touch a quarter of the values. Layers followed by batch normalization have no bias
// (batch normalization's beta replaces it), as is usual in Keras models.
import { IMAGE_SIZE, NUM_CLASSES } from '@shared/classes'
import type { TrainConfig } from '@shared/training'

export type Shape3 = [height: number, width: number, channels: number]

export type NetLayer =
  | { kind: 'reshape'; out: Shape3 }
  | {
      kind: 'conv'
      filters: number
      kernel: number
      padding: 'SAME' | 'VALID'
      bias: boolean
      in: Shape3
      out: Shape3
    }
  | { kind: 'batchnorm'; channels: number; spatial: boolean }
  | { kind: 'relu' }
  | { kind: 'pool'; in: Shape3; out: Shape3 }
  | { kind: 'flatten'; size: number }
  | { kind: 'dropout'; rate: number }
  | { kind: 'dense'; inputs: number; units: number; bias: boolean; activation: 'linear' }

/** A parameter tensor of the network, in the order tfjs/Keras store a model's weights. */
export interface ParamSpec {
  layer: number
  role: 'kernel' | 'bias' | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance'
  shape: number[]
  /** Moving statistics are updated by batch normalization itself, not by the optimizer. */
  trainable: boolean
}

export function buildArchitecture(config: TrainConfig): NetLayer[] {
  const layers: NetLayer[] = []
  let size = IMAGE_SIZE * IMAGE_SIZE
  if (config.convFilters.length > 0) {
    let shape: Shape3 = [IMAGE_SIZE, IMAGE_SIZE, 1]
    layers.push({ kind: 'reshape', out: shape })
    const padding = config.padding === 'same' ? 'SAME' : 'VALID'
    for (const filters of config.convFilters) {
      for (let j = 0; j < config.convsPerBlock; j++) {
        const shrink = padding === 'VALID' ? 2 : 0
        const out: Shape3 = [shape[0] - shrink, shape[1] - shrink, filters]
        if (out[0] < 2 || out[1] < 2) {
          throw new Error(
            `too many convolutions for a ${IMAGE_SIZE}x${IMAGE_SIZE} image with ${config.padding} padding`
          )
        }
        layers.push({
          kind: 'conv',
          filters,
          kernel: 3,
          padding,
          bias: !config.batchNorm,
          in: shape,
          out
        })
        shape = out
        if (j + 1 < config.convsPerBlock) {
          if (config.batchNorm) layers.push({ kind: 'batchnorm', channels: filters, spatial: true })
          layers.push({ kind: 'relu' })
        }
      }
      const pooled: Shape3 = [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2), shape[2]]
      if (pooled[0] < 1) throw new Error('too many pooling blocks for a 28x28 image')
      layers.push({ kind: 'pool', in: shape, out: pooled })
      // Batch normalization of the block's last convolution after its pooling: a quarter of the
      // values to normalise (it was 15% of the step time before the pooling).
      if (config.batchNorm) layers.push({ kind: 'batchnorm', channels: filters, spatial: true })
      layers.push({ kind: 'relu' })
      shape = pooled
    }
    size = shape[0] * shape[1] * shape[2]
    layers.push({ kind: 'flatten', size })
  }
  for (const units of config.hiddenUnits) {
    if (config.dropout > 0) layers.push({ kind: 'dropout', rate: config.dropout })
    layers.push({
      kind: 'dense',
      inputs: size,
      units,
      bias: !config.batchNorm,
      activation: 'linear'
    })
    if (config.batchNorm) layers.push({ kind: 'batchnorm', channels: units, spatial: false })
    layers.push({ kind: 'relu' })
    size = units
  }
  if (config.dropout > 0) layers.push({ kind: 'dropout', rate: config.dropout })
  layers.push({ kind: 'dense', inputs: size, units: NUM_CLASSES, bias: true, activation: 'linear' })
  return layers
}

export function paramSpecs(layers: NetLayer[]): ParamSpec[] {
  const specs: ParamSpec[] = []
  layers.forEach((l, layer) => {
    if (l.kind === 'conv') {
      specs.push({
        layer,
        role: 'kernel',
        shape: [l.kernel, l.kernel, l.in[2], l.filters],
        trainable: true
      })
      if (l.bias) specs.push({ layer, role: 'bias', shape: [l.filters], trainable: true })
    } else if (l.kind === 'dense') {
      specs.push({ layer, role: 'kernel', shape: [l.inputs, l.units], trainable: true })
      if (l.bias) specs.push({ layer, role: 'bias', shape: [l.units], trainable: true })
    } else if (l.kind === 'batchnorm') {
      for (const role of ['gamma', 'beta', 'moving_mean', 'moving_variance'] as const) {
        specs.push({
          layer,
          role,
          shape: [l.channels],
          trainable: role === 'gamma' || role === 'beta'
        })
      }
    }
  })
  return specs
}

/** One line per layer, for logs and the studio ("conv 3x3x32 same · batchnorm · pool · relu ..."). */
export function describeArchitecture(layers: NetLayer[]): string {
  return layers
    .map((l) => {
      switch (l.kind) {
        case 'conv':
          return `conv${l.kernel}x${l.kernel}x${l.filters}`
        case 'dense':
          return `dense${l.units}`
        case 'dropout':
          return `dropout${l.rate}`
        default:
          return l.kind
      }
    })
    .join('-')
}
