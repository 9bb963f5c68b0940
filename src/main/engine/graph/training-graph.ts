// A LayerNetwork's training step, inference pass and weight transfers as one TensorFlow graph: the
// same kernels and arithmetic as layer-network.ts (forward, hand-written backward, Adam), expressed
// as graph nodes instead of eager calls. Weights, Adam's moments and batch normalization's moving
// statistics live in resource variables inside the graph's session.
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import type { NetLayer, ParamSpec } from '../training/architecture'
import { paramSpecs } from '../training/architecture'
import { DT_BFLOAT16, DT_FLOAT, DT_INT32 } from '../training/precision'
import { attr, GraphBuilder } from './graph-builder'

/** Names of the feeds and fetches of each run the graph supports. */
export interface TrainingGraphEndpoints {
  /** Feeds `set` (one per parameter); sets the weights and zeroes Adam's moments. */
  init: string
  /** Feeds `set`; replaces the weights only (restoring the best epoch). */
  assign: string
  set: string[]
  step: {
    x: string
    y: string
    labels: string
    lr: string
    beta1Power: string
    beta2Power: string
    /** One mask per dropout layer, in layer order. */
    masks: string[]
    lossSum: string
    correct: string
  }
  /** Inference in the steps' precision (validation) and in float32 (test, predictions). */
  infer: InferEndpoints
  infer32: InferEndpoints
  read: string[]
}

export interface InferEndpoints {
  x: string
  y: string
  labels: string
  lossSum: string
  correct: string
  logits: string
}

/** TensorFlow's DataType number for bool. */
const DT_BOOL = 10
const BETA1 = 0.9
const BETA2 = 0.999
const EPSILON = 1e-7
const BN_MOMENTUM = 0.99
const BN_EPSILON = 1e-3

export function buildTrainingGraph(
  layers: NetLayer[],
  computeDtype: number = DT_FLOAT
): { graph: GraphBuilder; endpoints: TrainingGraphEndpoints; specs: ParamSpec[] } {
  const g = new GraphBuilder()
  const specs = paramSpecs(layers)
  const f = attr.type(DT_FLOAT)
  const variable = (name: string, shape: number[]): string =>
    g.op(
      'VarHandleOp',
      [],
      { dtype: f, shape: attr.shape(shape), shared_name: attr.str(name), container: attr.str('') },
      name
    )
  const w = specs.map((s, i) => variable(`w${i}`, s.shape))
  const m = specs.map((s, i) => (s.trainable ? variable(`m${i}`, s.shape) : undefined))
  const v = specs.map((s, i) => (s.trainable ? variable(`v${i}`, s.shape) : undefined))
  const assignOp = (target: string, value: string): string =>
    g.op('AssignVariableOp', [target, value], { dtype: f }, `assign_${target}`)
  const done = (name: string, deps: string[]): string =>
    g.op('Identity', [g.constFloat(1), ...deps.map((d) => `^${d}`)], { T: f }, name)

  // Weight transfers.
  const set = specs.map((s, i) => g.placeholder(`set/w${i}`, DT_FLOAT, s.shape))
  const setW = set.map((p, i) => assignOp(w[i]!, p))
  const zeroMoments = specs.flatMap((_, i) => {
    if (!m[i]) return []
    const zeros = g.op('ZerosLike', [set[i]!], { T: f })
    return [assignOp(m[i]!, zeros), assignOp(v[i]!, zeros)]
  })
  const init = done('init/done', [...setW, ...zeroMoments])
  const assign = done('assign/done', setW)
  const read = w.map((h, i) => g.op('ReadVariableOp', [h], { dtype: f }, `read/w${i}`))

  // Training step.
  const x = g.placeholder('step/x', DT_FLOAT, [-1, IMAGE_PIXELS])
  const y = g.placeholder('step/y', DT_FLOAT, [-1, NUM_CLASSES])
  const labels = g.placeholder('step/labels', DT_INT32, [-1])
  const lr = g.placeholder('step/lr', DT_FLOAT, [])
  const beta1Power = g.placeholder('step/beta1_power', DT_FLOAT, [])
  const beta2Power = g.placeholder('step/beta2_power', DT_FLOAT, [])
  const layerOps = new LayerGraph(g, layers, specs, computeDtype)
  const weights = w.map((h) => g.op('ReadVariableOp', [h], { dtype: f }, 'step/read'))
  const fwd = layerOps.forward(weights, x, true)
  const sce = g.op('SoftmaxCrossEntropyWithLogits', [fwd.logits, y], { T: f })
  const lossSum = sum(g, sce)
  const batch = g.op('Cast', [g.op('Shape', [sce], { T: f, out_type: attr.type(DT_INT32) })], {
    SrcT: attr.type(DT_INT32),
    DstT: f
  })
  const dLogits = g.op('RealDiv', [`${sce}:1`, batch], { T: f })
  const grads = layerOps.backward(fwd, dLogits)
  const hyper = {
    beta1: g.constFloat(BETA1, 'beta1'),
    beta2: g.constFloat(BETA2, 'beta2'),
    epsilon: g.constFloat(EPSILON, 'epsilon')
  }
  const updates: string[] = []
  specs.forEach((s, i) => {
    if (!s.trainable) return
    updates.push(
      g.op(
        'ResourceApplyAdam',
        [
          w[i]!,
          m[i]!,
          v[i]!,
          beta1Power,
          beta2Power,
          lr,
          hyper.beta1,
          hyper.beta2,
          hyper.epsilon,
          grads[i]!
        ],
        { T: f, use_locking: attr.bool(false), use_nesterov: attr.bool(false) },
        `adam/w${i}`
      )
    )
  })
  for (const u of fwd.movingUpdates) updates.push(assignOp(w[u.param]!, u.value))
  const correct = countCorrect(g, fwd.logits, labels)
  const deps = updates.map((u) => `^${u}`)
  const step = {
    x,
    y,
    labels,
    lr,
    beta1Power,
    beta2Power,
    masks: fwd.masks,
    lossSum: g.op('Identity', [lossSum, ...deps], { T: f }, 'step/loss_sum'),
    correct: g.op('Identity', [correct, ...deps], { T: f }, 'step/correct')
  }

  const inferIn = (prefix: string, dtype: number): InferEndpoints => {
    const ix = g.placeholder(`${prefix}/x`, DT_FLOAT, [-1, IMAGE_PIXELS])
    const iy = g.placeholder(`${prefix}/y`, DT_FLOAT, [-1, NUM_CLASSES])
    const il = g.placeholder(`${prefix}/labels`, DT_INT32, [-1])
    const iw = w.map((h) => g.op('ReadVariableOp', [h], { dtype: f }, `${prefix}/read`))
    const net = new LayerGraph(g, layers, specs, dtype)
    const out = net.forward(iw, ix, false)
    const logits = g.op('Identity', [out.logits], { T: f }, `${prefix}/logits`)
    const isce = g.op('SoftmaxCrossEntropyWithLogits', [logits, iy], { T: f })
    return {
      x: ix,
      y: iy,
      labels: il,
      logits,
      lossSum: g.op('Identity', [sum(g, isce)], { T: f }, `${prefix}/loss_sum`),
      correct: g.op('Identity', [countCorrect(g, logits, il)], { T: f }, `${prefix}/correct`)
    }
  }
  const infer32 = inferIn('infer32', DT_FLOAT)
  const infer = computeDtype === DT_FLOAT ? infer32 : inferIn('infer', computeDtype)
  return { graph: g, endpoints: { init, assign, set, step, infer, infer32, read }, specs }
}

function sum(g: GraphBuilder, x: string): string {
  return g.op('Sum', [x, g.constInt32([0])], {
    T: attr.type(DT_FLOAT),
    Tidx: attr.type(DT_INT32),
    keep_dims: attr.bool(false)
  })
}

function countCorrect(g: GraphBuilder, logits: string, labels: string): string {
  const predicted = g.op('ArgMax', [logits, g.constInt32(1)], {
    T: attr.type(DT_FLOAT),
    Tidx: attr.type(DT_INT32),
    output_type: attr.type(DT_INT32)
  })
  const hit = g.op('Equal', [predicted, labels], { T: attr.type(DT_INT32) })
  const hits = g.op('Cast', [hit], { SrcT: attr.type(DT_BOOL), DstT: attr.type(DT_FLOAT) })
  return sum(g, hits)
}

/** What each layer's forward nodes keep for its backward nodes. */
interface Saved {
  x?: string
  y?: string
  reserve?: string
  mask?: string
}

interface GraphForward {
  logits: string
  saved: Saved[]
  /** Weights as the layers used them (cast to the compute dtype). */
  cw: string[]
  masks: string[]
  movingUpdates: { param: number; value: string }[]
}

/** Forward and backward nodes of a layer list, as LayerNetwork computes them eagerly. */
class LayerGraph {
  private readonly T: ReturnType<typeof attr.type>
  private readonly layerParams: number[][]
  private readonly castable: boolean[]

  constructor(
    private readonly g: GraphBuilder,
    private readonly layers: NetLayer[],
    private readonly specs: ParamSpec[],
    private readonly dtype: number
  ) {
    this.T = attr.type(dtype)
    this.layerParams = layers.map(() => [])
    specs.forEach((s, i) => this.layerParams[s.layer]!.push(i))
    this.castable = specs.map((s) => s.role === 'kernel' || s.role === 'bias')
  }

  forward(w: string[], x: string, training: boolean): GraphForward {
    const g = this.g
    const T = this.T
    const saved: Saved[] = []
    const masks: string[] = []
    const movingUpdates: GraphForward['movingUpdates'] = []
    const cw = w.map((t, i) => (this.castable[i] ? this.toCompute(t) : t))
    let h = this.toCompute(x)
    this.layers.forEach((l, i) => {
      const p = this.layerParams[i]!
      switch (l.kind) {
        case 'reshape':
          saved.push({})
          h = this.reshape(h, g.constInt32([-1, ...l.out]))
          break
        case 'conv': {
          saved.push({ x: h })
          h = g.op('Conv2D', [h, cw[p[0]!]!], this.convAttrs(l.padding))
          if (l.bias) h = g.op('BiasAdd', [h, cw[p[1]!]!], { T, data_format: attr.str('NHWC') })
          break
        }
        case 'pool': {
          const y = g.op('MaxPool', [h], this.poolAttrs())
          saved.push({ x: h, y })
          h = y
          break
        }
        case 'relu':
          h = g.op('Relu', [h], { T })
          saved.push({ y: h })
          break
        case 'batchnorm': {
          const x4 = l.spatial ? h : this.reshape(h, g.constInt32([-1, 1, 1, l.channels]))
          const bn = g.op('FusedBatchNormV3', [x4, ...p.map((k) => w[k]!)], {
            ...this.batchNormAttrs(),
            exponential_avg_factor: attr.float(training ? 1 - BN_MOMENTUM : 1),
            is_training: attr.bool(training)
          })
          if (training) {
            movingUpdates.push(
              { param: p[2]!, value: `${bn}:1` },
              { param: p[3]!, value: `${bn}:2` }
            )
          }
          saved.push({ x: x4, reserve: bn, y: h })
          h = l.spatial ? bn : this.reshape(bn, g.constInt32([-1, l.channels]))
          break
        }
        case 'flatten':
          saved.push({ x: h })
          h = this.reshape(h, g.constInt32([-1, l.size]))
          break
        case 'dropout': {
          if (!training) {
            saved.push({})
            break
          }
          const mask = g.placeholder(`step/mask${masks.length}`, DT_FLOAT, null)
          masks.push(mask)
          const cm = this.toCompute(mask)
          saved.push({ mask: cm })
          h = g.op('Mul', [h, cm], { T })
          break
        }
        case 'dense': {
          saved.push({ x: h })
          h = this.matMul(h, cw[p[0]!]!, false, false)
          if (l.bias) h = g.op('BiasAdd', [h, cw[p[1]!]!], { T, data_format: attr.str('NHWC') })
          break
        }
      }
    })
    return { logits: this.toFloat(h), saved, cw, masks, movingUpdates }
  }

  /** Float32 gradient nodes of the trainable parameters, given the logits' gradient. */
  backward(fwd: GraphForward, dLogits: string): (string | undefined)[] {
    const g = this.g
    const T = this.T
    const w = fwd.cw
    const grads: (string | undefined)[] = new Array(this.specs.length)
    const first = this.layers.findIndex((l) => l.kind === 'conv' || l.kind === 'dense')
    let dy = this.toCompute(dLogits)
    for (let i = this.layers.length - 1; i >= 0 && i >= first; i--) {
      const l = this.layers[i]!
      const s = fwd.saved[i]!
      const p = this.layerParams[i]!
      const needInput = i > first
      switch (l.kind) {
        case 'dense':
          grads[p[0]!] = this.matMul(s.x!, dy, true, false)
          if (l.bias) grads[p[1]!] = this.biasAddGrad(dy)
          if (needInput) dy = this.matMul(dy, w[p[0]!]!, false, true)
          break
        case 'conv': {
          const shape = this.specs[p[0]!]!.shape
          grads[p[0]!] = g.op(
            'Conv2DBackpropFilter',
            [s.x!, g.constInt32(shape), dy],
            this.convAttrs(l.padding)
          )
          if (l.bias) grads[p[1]!] = this.biasAddGrad(dy)
          if (needInput) {
            dy = g.op(
              'Conv2DBackpropInput',
              [this.shapeOf(s.x!), w[p[0]!]!, dy],
              this.convAttrs(l.padding)
            )
          }
          break
        }
        case 'relu':
          dy = g.op('ReluGrad', [dy, s.y!], { T })
          break
        case 'pool':
          dy = g.op('MaxPoolGrad', [s.x!, s.y!, dy], this.poolAttrs())
          break
        case 'batchnorm': {
          const dy4 = l.spatial ? dy : this.reshape(dy, this.shapeOf(s.x!))
          const bn = s.reserve!
          const grad = g.op(
            'FusedBatchNormGradV3',
            [dy4, s.x!, w[p[0]!]!, `${bn}:3`, `${bn}:4`, `${bn}:5`],
            { ...this.batchNormAttrs(), is_training: attr.bool(true) }
          )
          grads[p[0]!] = `${grad}:1`
          grads[p[1]!] = `${grad}:2`
          dy = l.spatial ? grad : this.reshape(grad, this.shapeOf(s.y!))
          break
        }
        case 'flatten':
          dy = this.reshape(dy, this.shapeOf(s.x!))
          break
        case 'dropout':
          if (s.mask) dy = g.op('Mul', [dy, s.mask], { T })
          break
        case 'reshape':
          break
      }
    }
    return grads.map((gr, i) => (gr && this.castable[i] ? this.toFloat(gr) : gr))
  }

  private toCompute(x: string): string {
    if (this.dtype === DT_FLOAT) return x
    return this.g.op('Cast', [x], { SrcT: attr.type(DT_FLOAT), DstT: attr.type(DT_BFLOAT16) })
  }

  private toFloat(x: string): string {
    if (this.dtype === DT_FLOAT) return x
    return this.g.op('Cast', [x], { SrcT: attr.type(DT_BFLOAT16), DstT: attr.type(DT_FLOAT) })
  }

  private reshape(x: string, shape: string): string {
    return this.g.op('Reshape', [x, shape], { T: this.T, Tshape: attr.type(DT_INT32) })
  }

  private shapeOf(x: string): string {
    return this.g.op('Shape', [x], { T: this.T, out_type: attr.type(DT_INT32) })
  }

  private matMul(a: string, b: string, ta: boolean, tb: boolean): string {
    return this.g.op('MatMul', [a, b], {
      T: this.T,
      transpose_a: attr.bool(ta),
      transpose_b: attr.bool(tb)
    })
  }

  private biasAddGrad(dy: string): string {
    return this.g.op('BiasAddGrad', [dy], { T: this.T, data_format: attr.str('NHWC') })
  }

  private convAttrs(padding: 'SAME' | 'VALID'): Record<string, ReturnType<typeof attr.type>> {
    return {
      T: this.T,
      strides: attr.ints([1, 1, 1, 1]),
      padding: attr.str(padding),
      data_format: attr.str('NHWC'),
      dilations: attr.ints([1, 1, 1, 1])
    }
  }

  private poolAttrs(): Record<string, ReturnType<typeof attr.type>> {
    return {
      T: this.T,
      ksize: attr.ints([1, 2, 2, 1]),
      strides: attr.ints([1, 2, 2, 1]),
      padding: attr.str('VALID'),
      data_format: attr.str('NHWC')
    }
  }

  private batchNormAttrs(): Record<string, ReturnType<typeof attr.type>> {
    return {
      T: this.T,
      U: attr.type(DT_FLOAT),
      epsilon: attr.float(BN_EPSILON),
      data_format: attr.str('NHWC')
    }
  }
}
