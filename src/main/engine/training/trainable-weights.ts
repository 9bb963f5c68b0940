// Where the weights being trained live, and how one optimisation step updates them. Native
// TensorFlow keeps them in its own resource variables and updates them with the fused
// ResourceApplyAdam kernel; other backends use tfjs variables, autodiff and the Adam class.
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'
import { Adam, type AdamOptions } from './adam'
import type { DenseNetwork, StepOutput } from './dense-network'
import type { RawOps } from './raw-ops'

export interface TrainableWeights {
  /** The current weights as a new flat tensor (use inside a tidy). */
  read(): Tensor
  /** One Adam step on a batch; returns the batch's loss sum and hit count. */
  step(x: Tensor, oneHot: Tensor, labels: Tensor, batchSize: number): StepOutput
  dispose(): void
}

let variableCounter = 0

/** Weights and Adam moments in TensorFlow resource variables, updated by ResourceApplyAdam. */
export class NativeWeights implements TrainableWeights {
  private readonly w: Tensor
  private readonly m: Tensor
  private readonly v: Tensor
  private readonly constants: { lr: Scalar; beta1: Scalar; beta2: Scalar; epsilon: Scalar }
  private readonly beta1: number
  private readonly beta2: number
  private iterations = 0

  constructor(
    private readonly tf: Tf,
    private readonly ops: RawOps,
    private readonly network: DenseNetwork,
    initial: Tensor,
    adam: AdamOptions
  ) {
    // Unique names: variables with the same shared_name would alias one another.
    const prefix = `fashion-studio-${process.pid}-${++variableCounter}`
    this.w = ops.createVariable(`${prefix}-w`, initial)
    this.m = tf.tidy(() => ops.createVariable(`${prefix}-m`, tf.zerosLike(initial)))
    this.v = tf.tidy(() => ops.createVariable(`${prefix}-v`, tf.zerosLike(initial)))
    this.beta1 = adam.beta1 ?? 0.9
    this.beta2 = adam.beta2 ?? 0.999
    this.constants = {
      lr: tf.scalar(adam.learningRate),
      beta1: tf.scalar(this.beta1),
      beta2: tf.scalar(this.beta2),
      epsilon: tf.scalar(adam.epsilon ?? 1e-7)
    }
  }

  read(): Tensor {
    return this.ops.readVariable(this.w)
  }

  step(x: Tensor, oneHot: Tensor, labels: Tensor, batchSize: number): StepOutput {
    const tf = this.tf
    const out = this.network.stepNative(this.ops, this.read(), x, oneHot, labels, batchSize)
    this.iterations++
    this.ops.applyAdam(
      this.w,
      this.m,
      this.v,
      {
        ...this.constants,
        beta1Power: tf.scalar(this.beta1 ** this.iterations),
        beta2Power: tf.scalar(this.beta2 ** this.iterations)
      },
      out.grad
    )
    return out
  }

  dispose(): void {
    for (const handle of [this.w, this.m, this.v]) {
      this.ops.destroyVariable(handle)
      handle.dispose()
    }
    this.tf.dispose(Object.values(this.constants))
  }
}

/** Weights in a tfjs variable, gradients from tfjs autodiff, the Adam class for the update. */
export class TfjsWeights implements TrainableWeights {
  private readonly w: Variable
  private readonly adam: Adam

  constructor(
    private readonly tf: Tf,
    private readonly network: DenseNetwork,
    initial: Tensor,
    adam: AdamOptions
  ) {
    this.w = tf.variable(initial)
    this.adam = new Adam(tf, [this.w], adam)
  }

  read(): Tensor {
    return this.tf.clone(this.w)
  }

  step(x: Tensor, oneHot: Tensor, labels: Tensor, batchSize: number): StepOutput {
    const tf = this.tf
    let correct: Tensor | undefined
    const { value, grads } = tf.variableGrads(() => {
      const out = this.network.lossGeneric(this.w, x, oneHot, labels)
      // variableGrads disposes what f creates, except its result: keep the count explicitly.
      correct = tf.keep(out.correct)
      return out.loss.asScalar()
    }, [this.w])
    this.adam.apply([grads[this.w.name] as Tensor])
    return { lossSum: tf.mul(value, batchSize), correct: correct as Tensor }
  }

  dispose(): void {
    this.adam.dispose()
    this.w.dispose()
  }
}
