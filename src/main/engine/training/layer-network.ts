// Forward and backward passes of a layer list (architecture.ts) with TensorFlow's kernels called
// directly (conv-ops.ts, raw-ops.ts): tfjs's model.fit records every op on a tape and replays
// generic gradients, where this calls the one fused gradient kernel per layer that TensorFlow has.
// Weights are plain tensors in ParamSpec order (the order tfjs and Keras save them).
import type { Tensor } from '@tensorflow/tfjs'
import { IMAGE_PIXELS } from '@shared/classes'
import type { Tf } from '../worker/backend'
import { paramSpecs, type NetLayer, type ParamSpec } from './architecture'
import type { ConvOps } from './conv-ops'
import type { RawOps } from './raw-ops'

/** What one layer's forward pass keeps for its backward pass. */
type Saved =
  | { kind: 'input'; x: Tensor }
  | { kind: 'output'; y: Tensor }
  | { kind: 'pool'; x: Tensor; y: Tensor; workspace?: Tensor }
  | { kind: 'batchnorm'; x: Tensor; reserve: Tensor[]; shape: number[] }
  | { kind: 'shape'; shape: number[] }
  | { kind: 'mask'; mask: Tensor }
  | { kind: 'none' }

export interface ForwardResult {
  logits: Tensor
  saved: Saved[]
  /** New values of batch normalization's moving statistics (training only), by param index. */
  movingUpdates: { param: number; value: Tensor }[]
}

export class LayerNetwork {
  readonly specs: ParamSpec[]
  /** For each layer, the indices of its parameters in `specs`. */
  private readonly layerParams: number[][]

  constructor(
    private readonly tf: Tf,
    private readonly raw: RawOps,
    private readonly conv: ConvOps,
    readonly layers: NetLayer[]
  ) {
    this.specs = paramSpecs(layers)
    this.layerParams = layers.map(() => [])
    this.specs.forEach((s, i) => this.layerParams[s.layer]!.push(i))
  }

  get parameterCount(): number {
    return this.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
  }

  /** Keras's initial values: Glorot-uniform kernels, zero biases and betas, unit gammas. */
  initialWeights(seed: number): Tensor[] {
    const tf = this.tf
    return this.specs.map((s, i) =>
      tf.tidy(() => {
        switch (s.role) {
          case 'kernel': {
            const receptive = s.shape.length === 4 ? s.shape[0]! * s.shape[1]! : 1
            const fanIn = receptive * s.shape[s.shape.length - 2]!
            const fanOut = receptive * s.shape[s.shape.length - 1]!
            const limit = Math.sqrt(6 / (fanIn + fanOut))
            return tf.randomUniform(s.shape, -limit, limit, 'float32', seed + i)
          }
          case 'gamma':
          case 'moving_variance':
            return tf.ones(s.shape)
          default:
            return tf.zeros(s.shape)
        }
      })
    )
  }

  /** Weights cut from one flat vector in `specs` order (the layout of a model's weights.bin). */
  splitFlat(flat: Float32Array): Tensor[] {
    if (flat.length !== this.parameterCount) {
      throw new Error(
        `the weights have ${flat.length} values, this network has ${this.parameterCount}`
      )
    }
    let offset = 0
    return this.specs.map((s) => {
      const n = s.shape.reduce((a, b) => a * b, 1)
      const t = this.tf.tensor(flat.subarray(offset, offset + n), s.shape, 'float32')
      offset += n
      return t
    })
  }

  /**
   * Logits for a batch of flat 784-pixel images. In training, dropout masks come from `random` and
   * batch normalization uses batch statistics; call inside a tidy.
   */
  forward(w: Tensor[], x: Tensor, training: boolean, random?: () => number): ForwardResult {
    const tf = this.tf
    const saved: Saved[] = []
    const movingUpdates: ForwardResult['movingUpdates'] = []
    const n = x.shape[0]!
    let h = x
    this.layers.forEach((l, i) => {
      const p = this.layerParams[i]!
      switch (l.kind) {
        case 'reshape':
          saved.push({ kind: 'none' })
          h = tf.reshape(h, [n, ...l.out])
          break
        case 'conv': {
          saved.push({ kind: 'input', x: h })
          h = this.conv.conv(h, w[p[0]!]!, l.bias ? w[p[1]!]! : null, l.padding)
          break
        }
        case 'pool': {
          const pooled = this.conv.maxPool(h)
          saved.push({ kind: 'pool', x: h, y: pooled.y, workspace: pooled.workspace })
          h = pooled.y
          break
        }
        case 'relu':
          h = this.raw.relu(h)
          saved.push({ kind: 'output', y: h })
          break
        case 'batchnorm': {
          const shape = h.shape
          const x4 = l.spatial ? h : tf.reshape(h, [n, 1, 1, l.channels])
          const [gamma, beta, mean, variance] = p.map((k) => w[k]!) as [
            Tensor,
            Tensor,
            Tensor,
            Tensor
          ]
          const out = this.conv.batchNorm(x4, { gamma, beta, mean, variance }, training)
          if (training) {
            movingUpdates.push(
              { param: p[2]!, value: out.mean! },
              { param: p[3]!, value: out.variance! }
            )
            saved.push({ kind: 'batchnorm', x: x4, reserve: out.reserve!, shape })
          } else saved.push({ kind: 'none' })
          h = l.spatial ? out.y : tf.reshape(out.y, shape)
          break
        }
        case 'flatten':
          saved.push({ kind: 'shape', shape: h.shape })
          h = tf.reshape(h, [n, l.size])
          break
        case 'dropout': {
          if (!training || !random) {
            saved.push({ kind: 'none' })
            break
          }
          const mask = dropoutMask(h.size, l.rate, random)
          const m = tf.tensor(mask, h.shape, 'float32')
          saved.push({ kind: 'mask', mask: m })
          h = tf.mul(h, m)
          break
        }
        case 'dense': {
          saved.push({ kind: 'input', x: h })
          const z = this.raw.matMul(h, w[p[0]!]!)
          h = l.bias ? this.raw.biasAdd(z, w[p[1]!]!) : z
          break
        }
      }
    })
    return { logits: h, saved, movingUpdates }
  }

  /**
   * Gradients of the trainable parameters (undefined for moving statistics), given the gradient of
   * the loss with respect to the logits. The input image needs no gradient, so the first
   * parameterised layer does not compute one.
   */
  backward(w: Tensor[], forward: ForwardResult, dLogits: Tensor): (Tensor | undefined)[] {
    const tf = this.tf
    const grads: (Tensor | undefined)[] = new Array(this.specs.length)
    const firstParamLayer = this.layers.findIndex((l) => l.kind === 'conv' || l.kind === 'dense')
    let dy = dLogits
    for (let i = this.layers.length - 1; i >= 0 && i >= firstParamLayer; i--) {
      const l = this.layers[i]!
      const s = forward.saved[i]!
      const p = this.layerParams[i]!
      const needInput = i > firstParamLayer
      switch (l.kind) {
        case 'dense': {
          const x = (s as { x: Tensor }).x
          grads[p[0]!] = this.raw.matMul(x, dy, true, false)
          if (l.bias) grads[p[1]!] = this.raw.biasAddGrad(dy)
          if (needInput) dy = this.raw.matMul(dy, w[p[0]!]!, false, true)
          break
        }
        case 'conv': {
          const x = (s as { x: Tensor }).x
          const g = this.conv.convFilterGrad(x, this.specs[p[0]!]!.shape, dy, l.bias, l.padding)
          grads[p[0]!] = g.filter
          if (l.bias) grads[p[1]!] = g.bias
          if (needInput) dy = this.conv.convInputGrad(x.shape, w[p[0]!]!, dy, l.padding)
          break
        }
        case 'relu':
          dy = this.raw.reluGrad(dy, (s as { y: Tensor }).y)
          break
        case 'pool': {
          const ps = s as Extract<Saved, { kind: 'pool' }>
          dy = this.conv.maxPoolGrad(ps.x, { y: ps.y, workspace: ps.workspace }, dy)
          break
        }
        case 'batchnorm': {
          const bs = s as Extract<Saved, { kind: 'batchnorm' }>
          const dy4 = l.spatial ? dy : tf.reshape(dy, bs.x.shape)
          const g = this.conv.batchNormGrad(dy4, bs.x, w[p[0]!]!, bs.reserve)
          grads[p[0]!] = g.dGamma
          grads[p[1]!] = g.dBeta
          dy = l.spatial ? g.dx : tf.reshape(g.dx, bs.shape)
          break
        }
        case 'flatten':
          dy = tf.reshape(dy, (s as { shape: number[] }).shape)
          break
        case 'dropout':
          if (s.kind === 'mask') dy = tf.mul(dy, s.mask)
          break
        case 'reshape':
          dy = tf.reshape(dy, [dy.shape[0]!, IMAGE_PIXELS])
          break
      }
    }
    return grads
  }
}

/** Inverted dropout, as Keras: keep with probability 1 - rate, scaled by 1 / (1 - rate). */
function dropoutMask(size: number, rate: number, random: () => number): Float32Array {
  const mask = new Float32Array(size)
  const keep = 1 / (1 - rate)
  for (let i = 0; i < size; i++) mask[i] = random() >= rate ? keep : 0
  return mask
}
