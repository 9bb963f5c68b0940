// Small helpers to assemble an ONNX graph from the official protobuf definitions (onnx-proto):
// nodes with attributes, float32 / int64 initializers in raw little-endian bytes, value infos.
import { endianness } from 'node:os'
import { onnx } from 'onnx-proto'

export type AttrValue = number | number[] | string | { float: number }

export class OnnxGraphBuilder {
  readonly nodes: onnx.INodeProto[] = []
  readonly initializers: onnx.ITensorProto[] = []
  private readonly names = new Set<string>()

  constructor() {
    // ONNX raw_data is little-endian; typed arrays use the machine's order.
    if (endianness() !== 'LE') throw new Error('ONNX export needs a little-endian machine')
  }

  /** A unique tensor or node name based on `base`. */
  unique(base: string): string {
    let name = base
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`
    this.names.add(name)
    return name
  }

  floats(base: string, dims: number[], data: Float32Array): string {
    return this.initializer(base, dims, onnx.TensorProto.DataType.FLOAT, data)
  }

  int64s(base: string, values: number[]): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v))
    return this.initializer(base, [values.length], onnx.TensorProto.DataType.INT64, data)
  }

  /** Adds a node and returns the name of its (single) output. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, base = op): string {
    const output = this.unique(`${base}:0`)
    this.nodes.push({
      opType: op,
      name: this.unique(base),
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([name, value]) => attribute(name, value))
    })
    return output
  }

  private initializer(
    base: string,
    dims: number[],
    dataType: onnx.TensorProto.DataType,
    data: Float32Array | BigInt64Array
  ): string {
    const name = this.unique(base)
    this.initializers.push({
      name,
      dims,
      dataType,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    })
    return name
  }
}

function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) }
  if (typeof value === 'number') return { name, type: T.INT, i: value }
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value }
  return { name, type: T.FLOAT, f: value.float }
}

/** A float32 tensor's value info; `null` dimensions become the symbolic batch size "N". */
export function floatValueInfo(
  name: string,
  shape: (number | null)[],
  docString: string
): onnx.IValueInfoProto {
  return {
    name,
    docString,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (d === null ? { dimParam: 'N' } : { dimValue: d })) }
      }
    }
  }
}
