// The ONNX writer: decoded with the official protobuf definitions and run with onnxruntime-node.
// (onnx.checker and agreement with tfjs on real models: test/integration/export.test.ts.)
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onnx } from 'onnx-proto'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLASS_NAMES } from '@shared/classes'
import { buildContract } from '../../../src/main/engine/export/contract'
import { onnxFile } from '../../../src/main/engine/export/onnx-file'
import { readSourceModel, type SourceModel } from '../../../src/main/engine/export/source-model'
import { layer, tinyDenseLayers, writeTinyModel } from '../../helpers/export-models'

let tmp: string
let dense: SourceModel
let denseWeights: Float32Array
let cnn: SourceModel

const encode = (m: SourceModel) => onnxFile(m.graph, buildContract(m.graph, m.metadata), '0.0.0')

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-onnx-unit-'))
  // Mixed-sign weights, so that ReLU clips some units.
  denseWeights = await writeTinyModel(join(tmp, 'dense'), tinyDenseLayers(), {
    value: (i) => Math.sin(i * 12.9898) * 0.2
  })
  dense = await readSourceModel(join(tmp, 'dense'))
  await writeTinyModel(join(tmp, 'cnn'), [
    layer('Reshape', 'img', { target_shape: [28, 28, 1], batch_input_shape: [null, 784] }),
    layer('Conv2D', 'conv', { filters: 2, kernel_size: [3, 3], padding: 'same' }, [
      ['kernel', [3, 3, 1, 2]],
      ['bias', [2]]
    ]),
    layer('Activation', 'act', { activation: 'relu' }),
    layer('AveragePooling2D', 'pool', { pool_size: [2, 2] }),
    layer('Flatten', 'flat'),
    layer('Dense', 'out', { units: 10, activation: 'softmax' }, [
      ['kernel', [392, 10]],
      ['bias', [10]]
    ])
  ])
  cnn = await readSourceModel(join(tmp, 'cnn'))
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('onnxFile', () => {
  it('is an opset-17 model with a named, documented input and the classes in its metadata', () => {
    const m = onnx.ModelProto.decode(encode(dense))
    expect(Number(m.irVersion)).toBe(8)
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]])
    const input = m.graph!.input![0]!
    expect(input.name).toBe('pixels')
    expect(input.docString).toMatch(/float32 \[N, 784\].*uint8_pixel \/ 255/)
    expect(
      input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))
    ).toEqual(['N', 784])
    expect(m.graph!.output![0]!.name).toBe('probabilities')
    const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]))
    expect(JSON.parse(props.classes!)).toEqual([...CLASS_NAMES])
    expect(JSON.parse(props['fashion_studio.contract']!).input.scale).toBeCloseTo(1 / 255, 12)
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Softmax'])
  })

  it('converts to NCHW for convolution and pooling, and back before Flatten', () => {
    const m = onnx.ModelProto.decode(encode(cnn))
    expect(m.graph!.node!.map((n) => n.opType)).toEqual([
      'Reshape',
      'Transpose',
      'Conv',
      'Relu',
      'AveragePool',
      'Transpose',
      'Flatten',
      'Gemm',
      'Softmax'
    ])
    const conv = m.graph!.node!.find((n) => n.opType === 'Conv')!
    const pads = conv.attribute!.find((a) => a.name === 'pads')!.ints!.map(Number)
    expect(pads).toEqual([1, 1, 1, 1])
    const kernel = m.graph!.initializer!.find((t) => t.name === 'conv/kernel')!
    expect(kernel.dims!.map(Number)).toEqual([2, 1, 3, 3])
  })

  it('computes what the dense network computes (onnxruntime-node)', async () => {
    const session = await ort.InferenceSession.create(encode(dense))
    const x = Float32Array.from({ length: 2 * 784 }, (_, i) => ((i * 37) % 256) / 255)
    const out = (await session.run({ pixels: new ort.Tensor('float32', x, [2, 784]) }))
      .probabilities!
    expect(out.dims).toEqual([2, 10])
    const w = denseWeights
    const [w1, b1, w2, b2] = [
      w.subarray(0, 6272),
      w.subarray(6272, 6280),
      w.subarray(6280, 6360),
      w.subarray(6360)
    ]
    for (let n = 0; n < 2; n++) {
      const h = Array.from({ length: 8 }, (_, j) => {
        let s = b1[j]!
        for (let k = 0; k < 784; k++) s += x[n * 784 + k]! * w1[k * 8 + j]!
        return Math.max(0, s)
      })
      const z = Array.from({ length: 10 }, (_, j) =>
        h.reduce((s, v, k) => s + v * w2[k * 10 + j]!, b2[j]!)
      )
      const e = z.map((v) => Math.exp(v - Math.max(...z)))
      const p = e.map((v) => v / e.reduce((a, b) => a + b, 0))
      p.forEach((v, j) => expect((out.data as Float32Array)[n * 10 + j]).toBeCloseTo(v, 5))
    }
    await session.release()
  })

  it('runs the CNN for any batch size, including 1', async () => {
    const session = await ort.InferenceSession.create(encode(cnn))
    for (const n of [1, 3]) {
      const x = new ort.Tensor('float32', new Float32Array(n * 784).fill(0.5), [n, 784])
      const p = (await session.run({ pixels: x })).probabilities!
      expect(p.dims).toEqual([n, 10])
      const row = Array.from((p.data as Float32Array).subarray(0, 10))
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    }
    await session.release()
  })
})
