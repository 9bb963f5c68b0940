// config.json of a Keras 3 `.keras` file: the Sequential model as Keras 3's own serialisation writes
// it (module / class_name / config / registered_name per object, an InputLayer first), so that
// keras.models.load_model rebuilds exactly our layers. Checked against a file saved by Keras 3.15.
import { INPUT_NAME } from './contract'
import type { Layer, ModelGraph } from './graph'

type Json = Record<string, unknown>

const DTYPE = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null
}

/** config.json's content for the model. */
export function kerasConfig(graph: ModelGraph): Json {
  const names = new Set(graph.layers.map((l) => l.name))
  let inputName = INPUT_NAME
  for (let i = 1; names.has(inputName); i++) inputName = `${INPUT_NAME}_${i}`
  const input = {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: {
      batch_shape: [null, ...graph.inputShape],
      dtype: 'float32',
      sparse: false,
      ragged: false,
      name: inputName,
      optional: false
    },
    registered_name: null
  }
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: graph.name,
      trainable: true,
      dtype: DTYPE,
      layers: [input, ...graph.layers.map(layerConfig)],
      build_input_shape: [null, ...graph.inputShape]
    },
    registered_name: null,
    build_config: { input_shape: [null, ...graph.inputShape] },
    // Not compiled: an export is for inference; a consumer compiles it to fine-tune.
    compile_config: null
  }
}

function layerConfig(layer: Layer): Json {
  const common = { name: layer.name, trainable: true, dtype: DTYPE }
  const wrap = (className: string, config: Json): Json => ({
    module: 'keras.layers',
    class_name: className,
    config: { ...common, ...config },
    registered_name: null,
    build_config: { input_shape: [null, ...layer.inputShape] }
  })
  switch (layer.kind) {
    case 'dense':
      return wrap('Dense', {
        units: layer.units,
        activation: layer.activation,
        use_bias: layer.bias !== undefined
      })
    case 'conv2d':
      return wrap('Conv2D', {
        filters: layer.filters,
        kernel_size: layer.kernelSize,
        strides: layer.strides,
        padding: layer.padding,
        data_format: 'channels_last',
        dilation_rate: layer.dilation,
        groups: 1,
        activation: layer.activation,
        use_bias: layer.bias !== undefined
      })
    case 'pool2d':
      return wrap(layer.op === 'max' ? 'MaxPooling2D' : 'AveragePooling2D', {
        pool_size: layer.poolSize,
        strides: layer.strides,
        padding: layer.padding,
        data_format: 'channels_last'
      })
    case 'batchNorm':
      return wrap('BatchNormalization', {
        axis: -1,
        momentum: layer.momentum,
        epsilon: layer.epsilon,
        center: layer.beta !== undefined,
        scale: layer.gamma !== undefined
      })
    case 'dropout':
      return wrap('Dropout', { rate: layer.rate, seed: null, noise_shape: null })
    case 'flatten':
      return wrap('Flatten', { data_format: 'channels_last' })
    case 'activation':
      return wrap('Activation', { activation: layer.activation })
    case 'relu':
      return wrap('ReLU', { max_value: layer.maxValue, negative_slope: 0, threshold: 0 })
    case 'softmax':
      return wrap('Softmax', { axis: layer.axis })
    case 'reshape':
      return wrap('Reshape', { target_shape: layer.outputShape })
  }
}

/** Keras 3 names each layer's weight group after its class in snake_case, numbered per class. */
export function kerasWeightPaths(graph: ModelGraph): string[] {
  const used = new Map<string, number>()
  return graph.layers.map((layer) => {
    const base = snakeCase(kerasClassName(layer))
    const n = used.get(base)
    used.set(base, n === undefined ? 0 : n + 1)
    return `layers/${n === undefined ? base : `${base}_${n + 1}`}`
  })
}

function kerasClassName(layer: Layer): string {
  return String(layerConfig(layer).class_name)
}

/** keras.src.utils.naming.to_snake_case. */
export function snakeCase(name: string): string {
  const s = name.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2')
  return s.toLowerCase()
}
