// Conversion between the trained variables and a standard tfjs Layers model, which is what a model
// directory stores (model.json + weights.bin), so that any tfjs tool can load our models.
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import { IMAGE_PIXELS } from '@shared/classes'
import type { Tf } from '../worker/backend'
import type { ModelArtifacts } from '../worker/protocol'
import type { NetLayer } from './architecture'
import type { DenseNetwork } from './dense-network'

/** A Sequential model equal to the network, with softmax on the output layer. */
export function toLayersModel(tf: Tf, network: DenseNetwork, weights: Tensor): LayersModel {
  const parts = tf.tidy(() => network.split(weights))
  try {
    return denseLayersModel(tf, network.layerSizes, parts)
  } finally {
    tf.dispose(parts)
  }
}

/**
 * The study's Keras model (hidden_1, hidden_2 ... with ReLU, output with softmax) with the given
 * kernels and biases in order; whichever way a plain dense network was trained, it saves like this.
 */
export function denseLayersModel(tf: Tf, sizes: number[], weights: Tensor[]): LayersModel {
  const model = tf.sequential()
  for (let i = 1; i < sizes.length; i++) {
    const last = i === sizes.length - 1
    model.add(
      tf.layers.dense({
        name: last ? 'output' : `hidden_${i}`,
        units: sizes[i] as number,
        activation: last ? 'softmax' : 'relu',
        ...(i === 1 ? { inputShape: [IMAGE_PIXELS] } : {})
      })
    )
  }
  model.setWeights(weights)
  return model
}

/** The model as in-memory artifacts (the content of model.json and weights.bin). */
export async function saveToArtifacts(tf: Tf, model: LayersModel): Promise<ModelArtifacts> {
  let saved: ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = {
        modelTopology: a.modelTopology,
        weightSpecs: (a.weightSpecs ?? []).map((s) => ({
          name: s.name,
          shape: s.shape,
          dtype: s.dtype as 'float32' | 'int32'
        })),
        weightData: a.weightData as ArrayBuffer
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  if (!saved) throw new Error('the model could not be serialised')
  return saved
}

/**
 * The same artifacts as saveToArtifacts, built synchronously (model.save is async). Checkpoints
 * need this: the training loop holds the worker's thread, so a promise started during training
 * would only settle after the run ended or was cancelled, too late to keep anything.
 */
export function artifactsNow(model: LayersModel): ModelArtifacts {
  const weights = model.weights
  const values = weights.map((w) => w.read().dataSync() as Float32Array)
  const total = values.reduce((n, v) => n + v.length, 0)
  const data = new Float32Array(total)
  let offset = 0
  for (const v of values) {
    data.set(v, offset)
    offset += v.length
  }
  return {
    modelTopology: model.toJSON(undefined, false),
    weightSpecs: weights.map((w) => ({
      name: w.originalName,
      shape: w.shape as number[],
      dtype: 'float32' as const
    })),
    weightData: data.buffer
  }
}

/** Loads artifacts back into a Layers model (for prediction). */
export async function loadFromArtifacts(tf: Tf, artifacts: ModelArtifacts): Promise<LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: artifacts.weightSpecs,
      weightData: artifacts.weightData
    })
  )
}

/** A Sequential model equal to a LayerNetwork (softmax on the output), with its weights set. */
export function networkToLayersModel(tf: Tf, layers: NetLayer[], weights: Tensor[]): LayersModel {
  const model = tf.sequential()
  const first = { inputShape: [IMAGE_PIXELS] }
  const denseCount = layers.filter((l) => l.kind === 'dense').length
  let dense = 0
  layers.forEach((l, i) => {
    const input = i === 0 ? first : {}
    switch (l.kind) {
      case 'reshape':
        return model.add(tf.layers.reshape({ targetShape: l.out, ...input }))
      case 'conv':
        return model.add(
          tf.layers.conv2d({
            filters: l.filters,
            kernelSize: l.kernel,
            padding: l.padding === 'SAME' ? 'same' : 'valid',
            useBias: l.bias,
            ...input
          })
        )
      case 'batchnorm':
        return model.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3, ...input }))
      case 'pool':
        return model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, ...input }))
      case 'relu':
        return model.add(tf.layers.activation({ activation: 'relu', ...input }))
      case 'flatten':
        return model.add(tf.layers.flatten(input))
      case 'dropout':
        return model.add(tf.layers.dropout({ rate: l.rate, ...input }))
      case 'dense': {
        const last = ++dense === denseCount
        return model.add(
          tf.layers.dense({
            name: last ? 'output' : undefined,
            units: l.units,
            useBias: l.bias,
            activation: last ? 'softmax' : 'linear',
            ...input
          })
        )
      }
    }
  })
  // Layer by layer: a model's own weight list puts every trainable weight before the non-trainable
  // ones (batch normalization's moving statistics), while `weights` is in per-layer order.
  let next = 0
  for (const layer of model.layers) {
    const n = layer.weights.length
    layer.setWeights(weights.slice(next, next + n))
    next += n
  }
  if (next !== weights.length) {
    throw new Error(`the network has ${next} weight tensors, ${weights.length} were given`)
  }
  return model
}

/**
 * A saved model's weights in per-layer order (kernel, bias; gamma, beta, moving mean, moving
 * variance), as one flat vector: what a LayerNetwork starts from when fine-tuning.
 */
export async function perLayerWeights(tf: Tf, artifacts: ModelArtifacts): Promise<Float32Array> {
  const model = await loadFromArtifacts(tf, artifacts)
  try {
    const values = model.layers.flatMap((l) => l.getWeights())
    const flat = new Float32Array(values.reduce((n, t) => n + t.size, 0))
    let offset = 0
    for (const t of values) {
      flat.set(t.dataSync() as Float32Array, offset)
      offset += t.size
    }
    return flat
  } finally {
    model.dispose()
  }
}
