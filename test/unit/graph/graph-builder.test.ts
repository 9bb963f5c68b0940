// The GraphDef/SavedModel writer: what it writes must read back as TensorFlow defines the messages
// (decoded here with the same field numbers), with the orderings TensorFlow insists on.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { attr, GraphBuilder } from '../../../src/main/engine/graph/graph-builder'
import { SavedModelMessage } from '../../../src/main/engine/graph/saved-model-proto'
import { DT_FLOAT, DT_INT32 } from '../../../src/main/engine/training/precision'

interface Decoded {
  metaGraphs: {
    metaInfoDef: { tags: string[] }
    graphDef: {
      node: { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }[]
      versions: { producer: number }
    }
  }[]
}

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function written(g: GraphBuilder): Decoded {
  dir = mkdtempSync(join(tmpdir(), 'graph-builder-'))
  g.writeSavedModel(dir)
  const message = SavedModelMessage.decode(readFileSync(join(dir, 'saved_model.pb')))
  return SavedModelMessage.toObject(message, { longs: Number, bytes: String }) as Decoded
}

describe('GraphBuilder', () => {
  it('writes a SavedModel with one meta graph tagged "serve"', () => {
    const g = new GraphBuilder()
    g.placeholder('x', DT_FLOAT, [-1, 784])
    const d = written(g)
    expect(d.metaGraphs).toHaveLength(1)
    expect(d.metaGraphs[0]!.metaInfoDef.tags).toEqual(['serve'])
    expect(d.metaGraphs[0]!.graphDef.versions.producer).toBeGreaterThan(0)
    const x = d.metaGraphs[0]!.graphDef.node[0]!
    expect(x).toMatchObject({ name: 'x', op: 'Placeholder' })
    expect(x.attr).toMatchObject({
      dtype: { type: DT_FLOAT },
      shape: { shape: { dim: [{ size: -1 }, { size: 784 }] } }
    })
  })

  it('gives repeated names a suffix, and puts control inputs after data inputs', () => {
    const g = new GraphBuilder()
    const a = g.constInt32([1, 2], 'c')
    const b = g.constInt32(3, 'c')
    expect([a, b]).toEqual(['c', 'c_1'])
    const sum = g.op('AddV2', [`^${a}`, a, b], { T: attr.type(DT_INT32) })
    const node = written(g).metaGraphs[0]!.graphDef.node.find((n) => n.name === sum)!
    expect(node.input).toEqual(['c', 'c_1', '^c'])
  })

  it('encodes a scalar constant with an empty shape and a vector with its length', () => {
    const g = new GraphBuilder()
    g.constInt32(7, 'scalar')
    g.constInt32([4, 5, 6], 'vector')
    g.constFloat(0.5, 'half')
    const nodes = written(g).metaGraphs[0]!.graphDef.node
    const tensor = (name: string): { tensorShape: { dim?: unknown[] } } =>
      (
        nodes.find((n) => n.name === name)!.attr as {
          value: { tensor: { tensorShape: { dim?: unknown[] } } }
        }
      ).value.tensor
    expect(tensor('scalar').tensorShape.dim ?? []).toEqual([])
    expect(tensor('vector').tensorShape.dim).toEqual([{ size: 3 }])
    expect(tensor('half').tensorShape.dim ?? []).toEqual([])
  })

  it('marks a placeholder without a shape as of unknown rank', () => {
    const g = new GraphBuilder()
    g.placeholder('mask', DT_FLOAT, null)
    const node = written(g).metaGraphs[0]!.graphDef.node[0]!
    expect(node.attr).toMatchObject({ shape: { shape: { unknownRank: true } } })
  })
})
