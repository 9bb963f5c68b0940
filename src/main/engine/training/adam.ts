// Adam exactly as Keras 3 applies it (lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7, bias correction
// folded into the step size), over plain variables, so the native training step can use it.
import type { Tensor, Variable } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'

export interface AdamOptions {
  learningRate: number
  beta1?: number
  beta2?: number
  epsilon?: number
}

export class Adam {
  private readonly m: Variable[]
  private readonly v: Variable[]
  private iterations = 0
  private readonly beta1: number
  private readonly beta2: number
  private readonly epsilon: number

  constructor(
    private readonly tf: Tf,
    private readonly params: Variable[],
    private readonly options: AdamOptions
  ) {
    this.beta1 = options.beta1 ?? 0.9
    this.beta2 = options.beta2 ?? 0.999
    this.epsilon = options.epsilon ?? 1e-7
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)))
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)))
  }

  /** Applies one update; the caller disposes the gradients (this runs inside its tidy). */
  apply(grads: Tensor[]): void {
    const tf = this.tf
    this.iterations++
    const t = this.iterations
    const stepSize =
      (this.options.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t)
    tf.tidy(() => {
      grads.forEach((g, i) => {
        const m = this.m[i] as Variable
        const v = this.v[i] as Variable
        const p = this.params[i] as Variable
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1))
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2))
        m.assign(mNew)
        v.assign(vNew)
        p.assign(tf.sub(p, tf.div(tf.mul(mNew, stepSize), tf.add(tf.sqrt(vNew), this.epsilon))))
      })
    })
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose()
  }
}
