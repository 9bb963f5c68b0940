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
  /** Float32, whatever the compute dtype. */
  logits: Tensor
  /** The weights as the layers used them (cast to the compute dtype in mixed precision). */
  computeWeights: Tensor[]
  saved: Saved[]
  /** New values of batch normalization's moving statistics (training only), by param index. */
  movingUpdates: { param: number; value: Tensor }[]
}

export class LayerNetwork {
  readonly specs: ParamSpec[]
  /** For each layer, the indices of its parameters in `specs`. */
  private readonly layerParams: number[][]
  /** Which parameters the layer kernels take in the compute dtype (batch norm's stay float32). */
  private readonly castable: boolean[]

  constructor(
    private readonly tf: Tf,
    private readonly raw: RawOps,
    private readonly conv: ConvOps,
    readonly layers: NetLayer[]
  ) {
    this.specs = paramSpecs(layers)
    this.layerParams = layers.map(() => [])
    this.specs.forEach((s, i) => this.layerParams[s.layer]!.push(i))
    this.castable = this.specs.map((s) => s.role === 'kernel' || s.role === 'bias')
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
    const cw = w.map((t, i) => (this.castable[i] ? this.raw.toCompute(t) : t))
    let h = this.raw.toCompute(x)
    this.layers.forEach((l, i) => {
      const p = this.layerParams[i]!
      switch (l.kind) {
        case 'reshape':
          saved.push({ kind: 'none' })
          h = this.reshape(h, [n, ...l.out])
          break
        case 'conv': {
          saved.push({ kind: 'input', x: h })
          h = this.conv.conv(h, cw[p[0]!]!, l.bias ? cw[p[1]!]! : null, l.padding)
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
          const x4 = l.spatial ? h : this.reshape(h, [n, 1, 1, l.channels])
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
          h = l.spatial ? out.y : this.reshape(out.y, shape)
          break
        }
        case 'flatten':
          saved.push({ kind: 'shape', shape: h.shape })
          h = this.reshape(h, [n, l.size])
          break
        case 'dropout': {
          if (!training || !random) {
            saved.push({ kind: 'none' })
            break
          }
          const mask = dropoutMask(h.size, l.rate, random)
          const m = this.raw.toCompute(tf.tensor(mask, h.shape, 'float32'))
          saved.push({ kind: 'mask', mask: m })
          h = this.raw.mul(h, m)
          break
        }
        case 'dense': {
          saved.push({ kind: 'input', x: h })
          const z = this.raw.matMul(h, cw[p[0]!]!)
          h = l.bias ? this.raw.biasAdd(z, cw[p[1]!]!) : z
          break
        }
      }
    })
    return { logits: this.raw.toFloat(h), computeWeights: cw, saved, movingUpdates }
  }

  /**
   * Float32 gradients of the trainable parameters (undefined for moving statistics), given the
   * gradient of the loss with respect to the logits. The input image needs no gradient, so the
   * first parameterised layer does not compute one.
   */
  backward(forward: ForwardResult, dLogits: Tensor): (Tensor | undefined)[] {
    const w = forward.computeWeights
    const grads: (Tensor | undefined)[] = new Array(this.specs.length)
    const firstParamLayer = this.layers.findIndex((l) => l.kind === 'conv' || l.kind === 'dense')
    let dy = this.raw.toCompute(dLogits)
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
          const dy4 = l.spatial ? dy : this.reshape(dy, bs.x.shape)
          const g = this.conv.batchNormGrad(dy4, bs.x, w[p[0]!]!, bs.reserve)
          grads[p[0]!] = g.dGamma
          grads[p[1]!] = g.dBeta
          dy = l.spatial ? g.dx : this.reshape(g.dx, bs.shape)
          break
        }
        case 'flatten':
          dy = this.reshape(dy, (s as { shape: number[] }).shape)
          break
        case 'dropout':
          if (s.kind === 'mask') dy = this.raw.mul(dy, s.mask)
          break
        case 'reshape':
          dy = this.reshape(dy, [dy.shape[0]!, IMAGE_PIXELS])
          break
      }
    }
    return grads.map((g, i) => (g && this.castable[i] ? this.raw.toFloat(g) : g))
  }

  /** tfjs's reshape declares the tensor's tfjs dtype, which is wrong for bfloat16 ones. */
  private reshape(x: Tensor, shape: number[]): Tensor {
    if (!this.raw.mixed) return this.tf.reshape(x, shape)
    return this.raw.reshape(x, this.tf.tensor1d(shape, 'int32'))
  }
}

/** Inverted dropout, as Keras: keep with probability 1 - rate, scaled by 1 / (1 - rate). */
export function dropoutMask(size: number, rate: number, random: () => number): Float32Array {
  const mask = new Float32Array(size)
  const keep = 1 / (1 - rate)
  for (let i = 0; i < size; i++) mask[i] = random() >= rate ? keep : 0
  return mask
}
