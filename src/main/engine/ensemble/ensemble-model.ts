// An ensemble as one standard tfjs model: a functional model whose input feeds every member's layers
// and whose output is Keras's Average layer over the members' probabilities. Being an ordinary
// model, it loads and predicts wherever a single model does (evaluate, classify, serve, the studio)
// with no special case. Built by rewriting the members' saved topologies, with each member's layer
// names prefixed (m0_, m1_, ...) so that names stay unique; tfjs matches weights by name on load.
import { IMAGE_PIXELS } from '@shared/classes'
import type { ModelArtifacts } from '../worker/protocol'

interface LayerEntry {
  class_name: string
  config: Record<string, unknown> & { name: string }
}

interface FunctionalLayer extends LayerEntry {
  name: string
  inbound_nodes: [string, number, number, Record<string, never>][][]
}

export class EnsembleError extends Error {}

/** The members' artifacts combined into one model averaging their probabilities. */
export function ensembleArtifacts(members: ModelArtifacts[]): ModelArtifacts {
  if (members.length < 2) throw new EnsembleError('an ensemble needs at least 2 models')
  const inputName = 'pixels'
  const layers: FunctionalLayer[] = [
    {
      class_name: 'InputLayer',
      name: inputName,
      config: {
        name: inputName,
        batch_input_shape: [null, IMAGE_PIXELS],
        dtype: 'float32',
        sparse: false
      },
      inbound_nodes: []
    }
  ]
  const outputs: string[] = []
  const weightSpecs: ModelArtifacts['weightSpecs'] = []
  const buffers: Uint8Array[] = []
  members.forEach((member, m) => {
    const topology = member.modelTopology as {
      class_name?: string
      config?: { layers?: LayerEntry[] } | LayerEntry[]
    }
    const config = topology.config
    const memberLayers = Array.isArray(config) ? config : config?.layers
    if (topology.class_name !== 'Sequential' || !memberLayers) {
      throw new EnsembleError(
        `model ${m + 1} is a ${topology.class_name ?? 'model of unknown kind'}, not a Sequential model; ensembles are made of single models`
      )
    }
    const rename = new Map<string, string>()
    let previous = inputName
    for (const layer of memberLayers) {
      if (layer.class_name === 'InputLayer') continue
      const name = `m${m}_${layer.config.name}`
      rename.set(layer.config.name, name)
      // The input shape moves to the shared input layer.
      const config: Record<string, unknown> & { name: string } = { ...layer.config, name }
      delete config.batch_input_shape
      layers.push({
        class_name: layer.class_name,
        name,
        config,
        inbound_nodes: [[[previous, 0, 0, {}]]]
      })
      previous = name
    }
    outputs.push(previous)
    for (const spec of member.weightSpecs) {
      const [layerName, ...rest] = spec.name.split('/')
      const renamed = rename.get(layerName ?? '')
      if (!renamed)
        throw new EnsembleError(`model ${m + 1}: weight ${spec.name} belongs to no layer`)
      weightSpecs.push({ ...spec, name: [renamed, ...rest].join('/') })
    }
    buffers.push(new Uint8Array(member.weightData))
  })
  layers.push({
    class_name: 'Average',
    name: 'average',
    config: { name: 'average', trainable: true },
    inbound_nodes: [
      outputs.map((o) => [o, 0, 0, {}] as [string, number, number, Record<string, never>])
    ]
  })
  const total = buffers.reduce((n, b) => n + b.byteLength, 0)
  const weightData = new Uint8Array(total)
  let offset = 0
  for (const b of buffers) {
    weightData.set(b, offset)
    offset += b.byteLength
  }
  return {
    modelTopology: {
      class_name: 'Model',
      config: {
        name: 'ensemble',
        layers,
        input_layers: [[inputName, 0, 0]],
        output_layers: [['average', 0, 0]]
      },
      keras_version: 'tfjs-layers',
      backend: 'tensor_flow.js'
    },
    weightSpecs,
    weightData: weightData.buffer
  }
}
