// An ONNX model (opset 17, IR version 8) equal to the tfjs model. The input keeps the tfjs/Keras
// layout ([N, 784] flat, or NHWC images); ONNX's Conv, pooling and BatchNormalization want NCHW, so the
// graph transposes to NCHW before them and back to NHWC before anything whose result depends on the
// order of elements (Flatten, Reshape, Dense, Softmax), which keeps Keras's flatten order and weights.
import { onnx } from 'onnx-proto'
import { describeContract, type ExportContract } from './contract'
import type { Layer, ModelGraph } from './graph'
import { floatValueInfo, OnnxGraphBuilder } from './onnx-graph'
import { emit } from './onnx-layers'

export const ONNX_OPSET = 17
const IR_VERSION = 8

/** The serialised ONNX ModelProto. */
export function onnxFile(
  graph: ModelGraph,
  contract: ExportContract,
  producerVersion: string
): Uint8Array {
  const g = new OnnxGraphBuilder()
  g.unique(contract.input.name)
  g.unique(contract.output.name)
  const state = { x: contract.input.name, nchw: false }
  const toNchw = (l: Layer) => {
    if (!state.nchw)
      state.x = g.node('Transpose', [state.x], { perm: [0, 3, 1, 2] }, `${l.name}/to_nchw`)
    state.nchw = true
  }
  const toNhwc = (l: Layer) => {
    if (state.nchw)
      state.x = g.node('Transpose', [state.x], { perm: [0, 2, 3, 1] }, `${l.name}/to_nhwc`)
    state.nchw = false
  }
  for (const layer of graph.layers) {
    const image = layer.inputShape.length === 3
    // Element-wise layers run in whichever layout the tensor is in; the rest say what they need.
    if (needsNchw(layer) && image) toNchw(layer)
    else if (!elementwise(layer)) toNhwc(layer)
    state.x = emit(g, layer, state.x)
    // Layers that change rank leave channels-last data behind them.
    if (layer.outputShape.length !== 3) state.nchw = false
  }
  if (state.nchw) {
    state.x = g.node('Transpose', [state.x], { perm: [0, 2, 3, 1] }, 'output/to_nhwc')
  }
  publishOutput(g, state.x, contract.output.name)

  const doc = describeContract(contract)
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'fashion-studio',
    producerVersion,
    modelVersion: 1,
    docString: `Fashion-MNIST classifier exported by Fashion Studio. ${doc}`,
    graph: {
      name: graph.name,
      docString: doc,
      node: g.nodes,
      initializer: g.initializers,
      input: [floatValueInfo(contract.input.name, contract.input.shape, inputDoc(contract))],
      output: [
        floatValueInfo(
          contract.output.name,
          contract.output.shape,
          `${contract.output.meaning}: ${contract.classes.join(', ')}`
        )
      ]
    },
    metadataProps: [
      { key: 'classes', value: JSON.stringify(contract.classes) },
      { key: 'preprocessing', value: doc },
      { key: 'fashion_studio.contract', value: JSON.stringify(contract) }
    ]
  }
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish()
}

function inputDoc(c: ExportContract): string {
  return `${c.input.dtype} [${c.input.shape.map((d) => d ?? 'N').join(', ')}], ${c.input.layout}; ${c.input.scaling}`
}

function needsNchw(layer: Layer): boolean {
  return layer.kind === 'conv2d' || layer.kind === 'pool2d' || layer.kind === 'batchNorm'
}

function elementwise(layer: Layer): boolean {
  switch (layer.kind) {
    case 'dropout':
    case 'relu':
      return true
    case 'activation':
      return layer.activation !== 'softmax'
    default:
      return false
  }
}

/** Makes `x` the graph output called `name`: renames the node that produced it, or adds Identity. */
function publishOutput(g: OnnxGraphBuilder, x: string, name: string): void {
  const producer = g.nodes.find((node) => node.output?.[0] === x)
  if (producer && producer.output) producer.output[0] = name
  else g.nodes.push({ opType: 'Identity', name: 'output/Identity', input: [x], output: [name] })
}
