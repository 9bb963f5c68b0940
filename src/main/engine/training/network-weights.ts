// The weights of a LayerNetwork in TensorFlow resource variables (one per parameter tensor), with
// Adam's moments beside the trainable ones and the fused ResourceApplyAdam kernel for the update.
import type { Scalar, Tensor } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'
import type { ParamSpec } from './architecture'
import type { RawOps } from './raw-ops'

let counter = 0

export class NetworkWeights {
  private readonly w: Tensor[]
  private readonly m: (Tensor | undefined)[]
  private readonly v: (Tensor | undefined)[]
  private readonly constants: { beta1: Scalar; beta2: Scalar; epsilon: Scalar }
  private iterations = 0

  constructor(
    private readonly tf: Tf,
    private readonly ops: RawOps,
    private readonly specs: ParamSpec[],
    initial: Tensor[]
  ) {
    // Unique names: variables with the same shared_name would alias one another.
    const prefix = `fashion-studio-net-${process.pid}-${++counter}`
    this.w = initial.map((t, i) => ops.createVariable(`${prefix}-w${i}`, t))
    const zeros = (i: number, kind: string): Tensor | undefined =>
      specs[i]!.trainable
        ? tf.tidy(() => ops.createVariable(`${prefix}-${kind}${i}`, tf.zerosLike(initial[i]!)))
        : undefined
    this.m = initial.map((_, i) => zeros(i, 'm'))
    this.v = initial.map((_, i) => zeros(i, 'v'))
    this.constants = { beta1: tf.scalar(0.9), beta2: tf.scalar(0.999), epsilon: tf.scalar(1e-7) }
  }

  /** Current values, as new tensors (call inside a tidy, or dispose them). */
  read(): Tensor[] {
    return this.w.map((h) => this.ops.readVariable(h))
  }

  /** Replaces every value (restoring a snapshot). */
  assign(values: Tensor[]): void {
    values.forEach((v, i) => this.ops.assignVariable(this.w[i]!, v))
  }

  assignOne(index: number, value: Tensor): void {
    this.ops.assignVariable(this.w[index]!, value)
  }

  /** One Adam step (Keras 3's formula, see raw-ops.ts) with this step's learning rate. */
  applyAdam(grads: (Tensor | undefined)[], learningRate: number): void {
    const tf = this.tf
    this.iterations++
    tf.tidy(() => {
      const scalars = {
        ...this.constants,
        lr: tf.scalar(learningRate),
        beta1Power: tf.scalar(0.9 ** this.iterations),
        beta2Power: tf.scalar(0.999 ** this.iterations)
      }
      grads.forEach((g, i) => {
        if (!g || !this.specs[i]!.trainable) return
        this.ops.applyAdam(this.w[i]!, this.m[i]!, this.v[i]!, scalars, g)
      })
    })
  }

  dispose(): void {
    for (const handle of [...this.w, ...this.m, ...this.v]) {
      if (!handle) continue
      this.ops.destroyVariable(handle)
      handle.dispose()
    }
    this.tf.dispose(Object.values(this.constants))
  }
}
