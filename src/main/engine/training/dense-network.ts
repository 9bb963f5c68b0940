// The seed study's network family: a stack of dense ReLU layers and a softmax output
// (784-128-64-10 for the seed preset). The weights live in one flat vector, [W1, b1, W2, b2, ...]
// (kernels fanIn x fanOut, row-major, as in Keras), so the optimizer updates all of them in one
// fused kernel call; this class holds only the architecture and the maths on such a vector.
import type { Tensor } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'
import type { RawOps } from './raw-ops'

export interface StepOutput {
  /** Sum over the batch of the per-example cross-entropy (a scalar). */
  lossSum: Tensor
  /** Number of correctly classified examples in the batch (a float32 scalar). */
  correct: Tensor
}

export class DenseNetwork {
  readonly layerSizes: number[]
  private readonly shapes: number[][]
  private readonly lengths: number[]

  constructor(
    private readonly tf: Tf,
    inputSize: number,
    hiddenUnits: number[],
    outputSize: number
  ) {
    this.layerSizes = [inputSize, ...hiddenUnits, outputSize]
    this.shapes = []
    for (let i = 0; i + 1 < this.layerSizes.length; i++) {
      this.shapes.push([this.layerSizes[i] as number, this.layerSizes[i + 1] as number])
      this.shapes.push([this.layerSizes[i + 1] as number])
    }
    this.lengths = this.shapes.map((s) => s.reduce((a, b) => a * b, 1))
  }

  get layerCount(): number {
    return this.shapes.length / 2
  }

  /** Length of the flat weight vector. */
  get parameterCount(): number {
    return this.lengths.reduce((a, b) => a + b, 0)
  }

  /** Glorot-uniform kernels and zero biases, as Keras initialises Dense layers, from one seed. */
  initialWeights(seed: number): Tensor {
    const tf = this.tf
    return tf.tidy(() =>
      tf.concat(
        this.shapes.map((shape, i) => {
          if (shape.length === 1) return tf.zeros([shape[0] as number])
          const limit = Math.sqrt(6 / ((shape[0] as number) + (shape[1] as number)))
          return tf.reshape(tf.randomUniform(shape, -limit, limit, 'float32', seed + i), [-1])
        })
      )
    )
  }

  /** The weight tensors [W1, b1, W2, b2, ...] cut from a flat vector (call inside a tidy). */
  split(flat: Tensor): Tensor[] {
    const tf = this.tf
    return tf
      .split(flat, this.lengths)
      .map((part, i) => (this.shapes[i]!.length === 2 ? tf.reshape(part, this.shapes[i]!) : part))
  }

  /** Logits for a batch (softmax is applied by the loss, or by the exported model's last layer). */
  logits(flat: Tensor, x: Tensor): Tensor {
    const tf = this.tf
    const w = this.split(flat)
    let h = x
    for (let i = 0; i < this.layerCount; i++) {
      const z = tf.add(tf.matMul(h, w[2 * i]!), w[2 * i + 1]!)
      h = i + 1 < this.layerCount ? tf.relu(z) : z
    }
    return h
  }

  /**
   * Forward and backward pass with TensorFlow's own kernels: about 4 kernel calls per layer each
   * way, and the loss with its gradient in one call. `grad` is of the batch-mean loss.
   */
  stepNative(
    ops: RawOps,
    flat: Tensor,
    x: Tensor,
    oneHot: Tensor,
    labels: Tensor,
    batchSize: number
  ): StepOutput & { grad: Tensor } {
    const tf = this.tf
    const w = this.split(flat)
    const activations: Tensor[] = [x]
    let h = x
    for (let i = 0; i < this.layerCount; i++) {
      const z = ops.biasAdd(ops.matMul(h, w[2 * i]!), w[2 * i + 1]!)
      h = i + 1 < this.layerCount ? ops.relu(z) : z
      activations.push(h)
    }
    const { loss, backprop } = ops.softmaxCrossEntropy(h, oneHot)
    const grads: Tensor[] = new Array<Tensor>(w.length)
    let delta = tf.mul(backprop, 1 / batchSize)
    for (let i = this.layerCount - 1; i >= 0; i--) {
      const input = activations[i]!
      grads[2 * i] = tf.reshape(ops.matMul(input, delta, true, false), [-1])
      grads[2 * i + 1] = ops.biasAddGrad(delta)
      if (i > 0) delta = ops.reluGrad(ops.matMul(delta, w[2 * i]!, false, true), input)
    }
    return { lossSum: tf.sum(loss), correct: this.countCorrect(h, labels), grad: tf.concat(grads) }
  }

  /** Batch-mean loss for tfjs autodiff (backends without TensorFlow's kernels), and the hit count. */
  lossGeneric(
    flat: Tensor,
    x: Tensor,
    oneHot: Tensor,
    labels: Tensor
  ): { loss: Tensor; correct: Tensor } {
    const logits = this.logits(flat, x)
    return {
      loss: this.tf.losses.softmaxCrossEntropy(oneHot, logits),
      correct: this.countCorrect(logits, labels)
    }
  }

  countCorrect(logits: Tensor, labels: Tensor): Tensor {
    const tf = this.tf
    return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'))
  }
}
