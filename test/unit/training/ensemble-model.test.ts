import { describe, expect, it } from 'vitest'
import { ensembleArtifacts, EnsembleError } from '../../../src/main/engine/ensemble/ensemble-model'
import type { ModelArtifacts } from '../../../src/main/engine/worker/protocol'

function sequential(values: number[]): ModelArtifacts {
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'sequential_1',
        layers: [
          {
            class_name: 'Dense',
            config: { name: 'output', units: 10, batch_input_shape: [null, 784] }
          }
        ]
      }
    },
    weightSpecs: [
      { name: 'output/kernel', shape: [values.length - 1], dtype: 'float32' },
      { name: 'output/bias', shape: [1], dtype: 'float32' }
    ],
    weightData: Float32Array.from(values).buffer
  }
}

describe('ensembleArtifacts', () => {
  it('feeds one input to every member, averages their outputs, and renames layers and weights', () => {
    const a = ensembleArtifacts([sequential([1, 2, 3]), sequential([4, 5, 6])])
    const topology = a.modelTopology as {
      class_name: string
      config: {
        layers: { name: string; class_name: string; inbound_nodes: unknown[][] }[]
        output_layers: unknown[]
      }
    }
    expect(topology.class_name).toBe('Model')
    expect(topology.config.layers.map((l) => l.name)).toEqual([
      'pixels',
      'm0_output',
      'm1_output',
      'average'
    ])
    expect(topology.config.layers[3]!.inbound_nodes[0]).toEqual([
      ['m0_output', 0, 0, {}],
      ['m1_output', 0, 0, {}]
    ])
    expect(a.weightSpecs.map((s) => s.name)).toEqual([
      'm0_output/kernel',
      'm0_output/bias',
      'm1_output/kernel',
      'm1_output/bias'
    ])
    expect(Array.from(new Float32Array(a.weightData))).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('refuses one model, and a member that is itself a functional model', () => {
    expect(() => ensembleArtifacts([sequential([1, 2])])).toThrow(EnsembleError)
    const nested = ensembleArtifacts([sequential([1, 2]), sequential([3, 4])])
    expect(() => ensembleArtifacts([nested, sequential([1, 2])])).toThrow(/not a Sequential model/)
  })
})
