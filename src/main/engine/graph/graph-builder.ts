// Builds a TensorFlow GraphDef node by node and writes it as a SavedModel that tfjs-node's
// loadSavedModel can open. Running a whole training step as one graph lets TensorFlow's graph
// optimizer (grappler) fuse kernels (convolution + bias + ReLU) and run independent kernels side by
// side, which op-by-op eager calls from JavaScript cannot.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DT_FLOAT, DT_INT32 } from '../training/precision'
import { SavedModelMessage } from './saved-model-proto'

/** An AttrValue message as protobufjs takes it. */
export type AttrValue =
  | { type: number }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { s: Uint8Array }
  | { shape: ShapeProto }
  | { list: { i?: number[]; s?: Uint8Array[]; type?: number[] } }
  | { tensor: object }

interface ShapeProto {
  dim?: { size: number }[]
  unknownRank?: boolean
}

export const attr = {
  type: (t: number): AttrValue => ({ type: t }),
  int: (i: number): AttrValue => ({ i }),
  float: (f: number): AttrValue => ({ f }),
  bool: (b: boolean): AttrValue => ({ b }),
  str: (s: string): AttrValue => ({ s: Buffer.from(s) }),
  ints: (i: number[]): AttrValue => ({ list: { i } }),
  strs: (s: string[]): AttrValue => ({ list: { s: s.map((x) => Buffer.from(x)) } }),
  /** A shape; -1 for a dimension of unknown size (the batch). */
  shape: (dims: number[]): AttrValue => ({ shape: { dim: dims.map((size) => ({ size })) } })
}

interface NodeDef {
  name: string
  op: string
  input: string[]
  attr: Record<string, AttrValue>
}

/**
 * The GraphDef version the graph declares. TensorFlow 2.21 is at 2474 and accepts older versions down
 * to its minimum producer; none of the ops used here is deprecated.
 */
const PRODUCER_VERSION = 1700

export class GraphBuilder {
  private readonly nodes: NodeDef[] = []
  private readonly names = new Set<string>()

  /**
   * Adds a node and returns its name, which stands for its first output (`name:1` for the second).
   * Inputs starting with ^ are control dependencies: run before, no data.
   */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    const unique = this.uniqueName(name ?? op)
    // TensorFlow wants data inputs before control inputs.
    const data = inputs.filter((i) => !i.startsWith('^'))
    const control = inputs.filter((i) => i.startsWith('^'))
    this.nodes.push({ name: unique, op, input: [...data, ...control], attr: attrs })
    return unique
  }

  /** A fed input; `shape` null when its rank varies. */
  placeholder(name: string, dtype: number, shape: number[] | null): string {
    const s: AttrValue = shape ? attr.shape(shape) : { shape: { unknownRank: true } }
    return this.op('Placeholder', [], { dtype: attr.type(dtype), shape: s }, name)
  }

  /** An int32 constant: a vector, or a scalar when given a number. */
  constInt32(values: number[] | number, name = 'const'): string {
    const list = typeof values === 'number' ? [values] : values
    const shape = typeof values === 'number' ? {} : { dim: [{ size: list.length }] }
    return this.op(
      'Const',
      [],
      {
        dtype: attr.type(DT_INT32),
        value: {
          tensor: {
            dtype: DT_INT32,
            tensorShape: shape,
            tensorContent: Buffer.from(Int32Array.from(list).buffer)
          }
        }
      },
      name
    )
  }

  constFloat(value: number, name = 'const'): string {
    return this.op(
      'Const',
      [],
      {
        dtype: attr.type(DT_FLOAT),
        value: {
          tensor: {
            dtype: DT_FLOAT,
            tensorShape: {},
            tensorContent: Buffer.from(Float32Array.of(value).buffer)
          }
        }
      },
      name
    )
  }

  /** Writes `dir/saved_model.pb` with the graph under the tag "serve" (no variables checkpoint). */
  writeSavedModel(dir: string): void {
    mkdirSync(dir, { recursive: true })
    const message = SavedModelMessage.fromObject({
      savedModelSchemaVersion: 1,
      metaGraphs: [
        {
          metaInfoDef: { tags: ['serve'] },
          graphDef: { node: this.nodes, versions: { producer: PRODUCER_VERSION } }
        }
      ]
    })
    writeFileSync(join(dir, 'saved_model.pb'), SavedModelMessage.encode(message).finish())
  }

  get nodeCount(): number {
    return this.nodes.length
  }

  private uniqueName(base: string): string {
    let name = base
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`
    this.names.add(name)
    return name
  }
}
