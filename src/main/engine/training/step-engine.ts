// What the training loop needs from whatever runs its steps: eager kernel calls from JavaScript
// (EagerSteps, below) or one TensorFlow graph per step (graph/graph-trainer.ts, the default).
import type { Tensor } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'
import type { LayerNetwork } from './layer-network'
import type { NetworkWeights } from './network-weights'
import type { RawOps } from './raw-ops'

/** FASHION_STUDIO_EAGER_STEPS=1 asks for the eager steps (comparisons, profiling per kernel). */
export function eagerStepsRequested(): boolean {
  return process.env.FASHION_STUDIO_EAGER_STEPS === '1'
}

/** A batch as tensors: flat 784-pixel images in [0, 1], one-hot targets, int32 labels. */
export interface Batch {
  x: Tensor
  y: Tensor
  labels: Tensor
}

/** A batch's summed loss and number of correct predictions (scalars). */
export interface BatchSums {
  lossSum: Tensor
  correct: Tensor
}

export interface StepEngine {
  /** One Adam step; dropout masks are drawn from `random` in layer order. */
  step(batch: Batch, learningRate: number, random: () => number): BatchSums
  /** Inference-mode sums: in float32 for `float32`, else in the steps' precision (validation). */
  inferSums(batch: Batch, float32: boolean): BatchSums
  /** Current weights in ParamSpec order, as new tensors. */
  read(): Tensor[]
  /** Replaces the weights, not the optimizer's state (restoring the best epoch). */
  assign(values: Tensor[]): void
  dispose(): void
}

/** The steps as eager calls to TensorFlow's kernels (layer-network.ts). */
export class EagerSteps implements StepEngine {
  constructor(
    private readonly tf: Tf,
    private readonly raw: RawOps,
    /** Float32 network (test set, saved model) and the steps' network (maybe mixed precision). */
    private readonly network: LayerNetwork,
    private readonly trainNet: LayerNetwork,
    private readonly weights: NetworkWeights
  ) {}

  step(batch: Batch, learningRate: number, random: () => number): BatchSums {
    const tf = this.tf
    const size = batch.x.shape[0]!
    return tf.tidy(() => {
      const w = this.weights.read()
      const fwd = this.trainNet.forward(w, batch.x, true, random)
      const { loss, backprop } = this.raw.softmaxCrossEntropy(fwd.logits, batch.y)
      const grads = this.trainNet.backward(fwd, tf.mul(backprop, 1 / size))
      this.weights.applyAdam(grads, learningRate)
      for (const u of fwd.movingUpdates) this.weights.assignOne(u.param, u.value)
      return { lossSum: tf.sum(loss), correct: countCorrect(tf, fwd.logits, batch.labels) }
    })
  }

  inferSums(batch: Batch, float32: boolean): BatchSums {
    const tf = this.tf
    return tf.tidy(() => {
      const net = float32 ? this.network : this.trainNet
      const logits = net.forward(this.weights.read(), batch.x, false).logits
      return {
        lossSum: tf.sum(this.raw.softmaxCrossEntropy(logits, batch.y).loss),
        correct: countCorrect(tf, logits, batch.labels)
      }
    })
  }

  read(): Tensor[] {
    return this.weights.read()
  }

  assign(values: Tensor[]): void {
    this.weights.assign(values)
  }

  dispose(): void {
    this.weights.dispose()
  }
}

function countCorrect(tf: Tf, logits: Tensor, labels: Tensor): Tensor {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'))
}
