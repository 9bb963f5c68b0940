// Conversion between the trained variables and a standard tfjs Layers model, which is what a model
// directory stores (model.json + weights.bin), so that any tfjs tool can load our models.
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import { IMAGE_PIXELS } from '@shared/classes'
import type { Tf } from '../worker/backend'
import type { ModelArtifacts } from '../worker/protocol'
import type { DenseNetwork } from './dense-network'

/** A Sequential model equal to the network, with softmax on the output layer. */
export function toLayersModel(tf: Tf, network: DenseNetwork, weights: Tensor): LayersModel {
  const sizes = network.layerSizes
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
  tf.tidy(() => model.setWeights(network.split(weights)))
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
