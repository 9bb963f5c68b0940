// Parses a tfjs layers model (model.json's modelTopology, in Keras's JSON with class_name/config per
// layer, plus the named weights) into a ModelGraph. No TensorFlow is needed: exporting runs on the
// main thread. Anything the exporters cannot reproduce exactly is refused here, naming the layer.
import { ExportError } from './errors'
import type { Layer, LayerKind, ModelGraph, Weight } from './graph'
import { product, resolveReshape, windowOutput } from './shapes'
import {
  activation,
  asConfig,
  channelsLast,
  image,
  int,
  num,
  pair,
  padding,
  type Config
} from './tfjs-config'

/** Weights by name (as in the weights manifest); each must be used by exactly one layer. */
export type NamedWeights = Map<string, Weight>

const SUPPORTED =
  'InputLayer, Dense, Conv2D, MaxPooling2D, AveragePooling2D, BatchNormalization, Dropout, Flatten, Activation, ReLU, Softmax, Reshape'

/** The model as a ModelGraph; an ExportError for anything the exporters cannot reproduce. */
export function parseTopology(topology: unknown, weights: NamedWeights): ModelGraph {
  const root = asConfig(topology, 'modelTopology')
  // Models converted from Keras .h5 files wrap the model in model_config.
  const model = root.model_config !== undefined ? asConfig(root.model_config, 'model_config') : root
  const className = String(model.class_name)
  if (className !== 'Sequential') {
    throw new ExportError(
      `only Sequential models can be exported; this model is a ${className} (a functional graph or an ensemble): export each member model instead`
    )
  }
  const config = model.config
  const specs = Array.isArray(config) ? config : asConfig(config, 'Sequential config').layers
  if (!Array.isArray(specs) || specs.length === 0) throw new ExportError('the model has no layers')
  const used = new Set<string>()
  const take = (layer: string, suffix: string, shape: number[]): Weight => {
    const name = `${layer}/${suffix}`
    const w = weights.get(name)
    if (!w) throw new ExportError(`layer "${layer}": weight ${name} is missing from weights.bin`)
    if (w.shape.join() !== shape.join()) {
      throw new ExportError(
        `layer "${layer}": weight ${name} has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`
      )
    }
    used.add(name)
    return w
  }

  let shape: number[] | undefined
  const layers: Layer[] = []
  let inputShape: number[] | undefined
  for (const [i, spec] of specs.entries()) {
    const s = asConfig(spec, `layer ${i}`)
    const cls = String(s.class_name)
    const cfg = asConfig(s.config, `layer ${i} (${cls}) config`)
    const name = typeof cfg.name === 'string' ? cfg.name : `layer_${i}`
    if (shape === undefined) {
      shape = batchInputShape(name, cfg)
      inputShape = shape
    }
    if (cls === 'InputLayer') continue
    const kind = parseLayer(cls, name, cfg, shape, take)
    const outputShape = outputShapeOf(kind, name, shape)
    layers.push({ ...kind, name, className: cls, inputShape: shape, outputShape })
    shape = outputShape
  }
  const unused = [...weights.keys()].filter((n) => !used.has(n))
  if (unused.length > 0) {
    throw new ExportError(`weights.bin has weights no layer uses: ${unused.join(', ')}`)
  }
  if (!inputShape || !shape || layers.length === 0) throw new ExportError('the model has no layers')
  const modelName = Array.isArray(config) ? undefined : (config as Config).name
  return {
    name: typeof modelName === 'string' ? modelName : 'sequential',
    inputShape,
    layers,
    outputShape: shape
  }
}

type Take = (layer: string, suffix: string, shape: number[]) => Weight

function parseLayer(
  cls: string,
  name: string,
  cfg: Config,
  input: number[],
  take: Take
): LayerKind {
  const rank = input.length
  switch (cls) {
    case 'Dense': {
      const units = int(name, cfg, 'units')
      const useBias = cfg.use_bias !== false
      return {
        kind: 'dense',
        units,
        activation: activation(name, cfg.activation),
        kernel: take(name, 'kernel', [input[rank - 1] as number, units]),
        ...(useBias ? { bias: take(name, 'bias', [units]) } : {})
      }
    }
    case 'Conv2D': {
      image(name, cls, input)
      channelsLast(name, cfg)
      const filters = int(name, cfg, 'filters')
      const kernelSize = pair(name, cfg, 'kernel_size')
      const useBias = cfg.use_bias !== false
      const groups = cfg.groups ?? 1
      if (groups !== 1)
        throw new ExportError(`layer "${name}": grouped convolution is not supported`)
      return {
        kind: 'conv2d',
        filters,
        kernelSize,
        strides: pair(name, cfg, 'strides', [1, 1]),
        dilation: pair(name, cfg, 'dilation_rate', [1, 1]),
        padding: padding(name, cfg),
        activation: activation(name, cfg.activation),
        kernel: take(name, 'kernel', [...kernelSize, input[2] as number, filters]),
        ...(useBias ? { bias: take(name, 'bias', [filters]) } : {})
      }
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      image(name, cls, input)
      channelsLast(name, cfg)
      const poolSize = pair(name, cfg, 'pool_size', [2, 2])
      return {
        kind: 'pool2d',
        op: cls === 'MaxPooling2D' ? 'max' : 'average',
        poolSize,
        strides: cfg.strides == null ? poolSize : pair(name, cfg, 'strides'),
        padding: padding(name, cfg)
      }
    }
    case 'BatchNormalization': {
      const axis = cfg.axis ?? -1
      // Channels-last only: the normalised axis is the last one (-1, or rank counted with batch).
      if (axis !== -1 && axis !== rank) {
        throw new ExportError(
          `layer "${name}": BatchNormalization over axis ${String(axis)} is not supported (only the last axis)`
        )
      }
      const c = [input[rank - 1] as number]
      return {
        kind: 'batchNorm',
        epsilon: num(name, cfg, 'epsilon', 1e-3),
        momentum: num(name, cfg, 'momentum', 0.99),
        ...(cfg.scale !== false ? { gamma: take(name, 'gamma', c) } : {}),
        ...(cfg.center !== false ? { beta: take(name, 'beta', c) } : {}),
        movingMean: take(name, 'moving_mean', c),
        movingVariance: take(name, 'moving_variance', c)
      }
    }
    case 'Dropout':
      return { kind: 'dropout', rate: num(name, cfg, 'rate', 0) }
    case 'Flatten':
      channelsLast(name, cfg)
      return { kind: 'flatten' }
    case 'Activation':
      return { kind: 'activation', activation: activation(name, cfg.activation) }
    case 'ReLU': {
      const maxValue = cfg.max_value == null ? null : num(name, cfg, 'max_value')
      if (Number(cfg.negative_slope ?? 0) !== 0 || Number(cfg.threshold ?? 0) !== 0) {
        throw new ExportError(
          `layer "${name}": ReLU with negative_slope or threshold is not supported`
        )
      }
      return { kind: 'relu', maxValue }
    }
    case 'Softmax': {
      const axis = cfg.axis ?? -1
      if (
        typeof axis !== 'number' ||
        !Number.isInteger(axis) ||
        axis === 0 ||
        Math.abs(axis) > rank
      ) {
        throw new ExportError(
          `layer "${name}": Softmax axis ${JSON.stringify(axis)} is not supported`
        )
      }
      return { kind: 'softmax', axis }
    }
    case 'Reshape': {
      const target = cfg.target_shape
      if (!Array.isArray(target) || !target.every((d) => typeof d === 'number')) {
        throw new ExportError(`layer "${name}": Reshape has no numeric target_shape`)
      }
      return { kind: 'reshape', targetShape: target as number[] }
    }
    default:
      throw new ExportError(
        `unsupported layer "${name}" (class ${cls}); the exporters support ${SUPPORTED}`
      )
  }
}

function outputShapeOf(kind: LayerKind, name: string, input: number[]): number[] {
  switch (kind.kind) {
    case 'dense':
      return [...input.slice(0, -1), kind.units]
    case 'conv2d':
    case 'pool2d': {
      const window = kind.kind === 'conv2d' ? kind.kernelSize : kind.poolSize
      const dilation = kind.kind === 'conv2d' ? kind.dilation : [1, 1]
      const out = [0, 1].map((a) =>
        windowOutput(
          input[a] as number,
          window[a] as number,
          kind.strides[a] as number,
          dilation[a] as number,
          kind.padding
        )
      )
      if (out.some((d) => d <= 0)) {
        throw new ExportError(
          `layer "${name}": its window does not fit the input [${input.join(', ')}]`
        )
      }
      return [...out, kind.kind === 'conv2d' ? kind.filters : (input[2] as number)]
    }
    case 'flatten':
      return [product(input)]
    case 'reshape':
      return resolveReshape(name, input, kind.targetShape)
    default:
      return input
  }
}

function batchInputShape(name: string, cfg: Config): number[] {
  const shape = cfg.batch_input_shape ?? cfg.batch_shape
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new ExportError(
      `layer "${name}": the first layer declares no input shape (batch_input_shape)`
    )
  }
  const dims = shape.slice(1)
  if (!dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new ExportError(
      `layer "${name}": input shape [${shape.map(String).join(', ')}] must be fully known, apart from the batch`
    )
  }
  return dims as number[]
}
