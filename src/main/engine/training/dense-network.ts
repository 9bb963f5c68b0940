// The seed study's network family: a stack of dense ReLU layers and a softmax output
// (784-128-64-10 for the seed preset), held as plain variables so that one training step can be
// written with TensorFlow's fused kernels (see raw-ops.ts) rather than through the Layers API.
import type { Tensor, Variable } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'
import type { RawOps } from './raw-ops'

export interface StepOutput {
  /** Sum over the batch of the per-example cross-entropy (a scalar). */
  lossSum: Tensor
  /** Number of correctly classified examples in the batch (a float32 scalar). */
  correct: Tensor
  /** Gradients in the order of DenseNetwork.params. */
  grads: Tensor[]
}

export class DenseNetwork {
  /** [W1, b1, W2, b2, ...]: kernels are fanIn x fanOut, as in Keras and tfjs Dense layers. */
  readonly params: Variable[]
  readonly layerSizes: number[]

  /** Glorot-uniform kernels and zero biases, as Keras initialises Dense layers, from one seed. */
  constructor(
    private readonly tf: Tf,
    inputSize: number,
    hiddenUnits: number[],
    outputSize: number,
    seed: number
  ) {
    this.layerSizes = [inputSize, ...hiddenUnits, outputSize]
    this.params = []
    for (let i = 0; i + 1 < this.layerSizes.length; i++) {
      const fanIn = this.layerSizes[i] as number
      const fanOut = this.layerSizes[i + 1] as number
      const limit = Math.sqrt(6 / (fanIn + fanOut))
      // tidy: tf.variable keeps its own copy, the initial values would otherwise stay allocated.
      this.params.push(
        tf.tidy(() =>
          tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', seed + i))
        )
      )
      this.params.push(tf.tidy(() => tf.variable(tf.zeros([fanOut]))))
    }
  }

  get layerCount(): number {
    return this.params.length / 2
  }

  kernel(i: number): Variable {
    return this.params[2 * i] as Variable
  }

  bias(i: number): Variable {
    return this.params[2 * i + 1] as Variable
  }

  /** Logits for a batch (softmax is applied by the loss, or by the exported model's last layer). */
  logits(x: Tensor): Tensor {
    const tf = this.tf
    let h = x
    for (let i = 0; i < this.layerCount; i++) {
      const z = tf.add(tf.matMul(h, this.kernel(i)), this.bias(i))
      h = i + 1 < this.layerCount ? tf.relu(z) : z
    }
    return h
  }

  /**
   * Forward and backward pass with TensorFlow's own kernels: about 4 kernel calls per layer each
   * way, and the loss with its gradient in one call. Gradients are of the batch-mean loss.
   */
  stepNative(
    ops: RawOps,
    x: Tensor,
    oneHot: Tensor,
    labels: Tensor,
    batchSize: number
  ): StepOutput {
    const tf = this.tf
    const activations: Tensor[] = [x]
    let h = x
    for (let i = 0; i < this.layerCount; i++) {
      const z = ops.biasAdd(ops.matMul(h, this.kernel(i)), this.bias(i))
      h = i + 1 < this.layerCount ? ops.relu(z) : z
      activations.push(h)
    }
    const { loss, backprop } = ops.softmaxCrossEntropy(h, oneHot)
    const grads: Tensor[] = new Array<Tensor>(this.params.length)
    let delta = tf.mul(backprop, 1 / batchSize)
    for (let i = this.layerCount - 1; i >= 0; i--) {
      const input = activations[i] as Tensor
      grads[2 * i] = ops.matMul(input, delta, true, false)
      grads[2 * i + 1] = ops.biasAddGrad(delta)
      if (i > 0) delta = ops.reluGrad(ops.matMul(delta, this.kernel(i), false, true), input)
    }
    return { lossSum: tf.sum(loss), correct: this.countCorrect(h, labels), grads }
  }

  /** The same step through tfjs autodiff, for backends without TensorFlow's kernels (WebAssembly). */
  stepGeneric(x: Tensor, oneHot: Tensor, labels: Tensor, batchSize: number): StepOutput {
    const tf = this.tf
    let correct: Tensor | undefined
    const { value, grads } = tf.variableGrads(() => {
      const logits = this.logits(x)
      // variableGrads disposes what f creates, except its result: keep the count explicitly.
      correct = tf.keep(this.countCorrect(logits, labels))
      return tf.losses.softmaxCrossEntropy(oneHot, logits).asScalar()
    }, this.params)
    return {
      lossSum: tf.mul(value, batchSize),
      correct: correct as Tensor,
      grads: this.params.map((p) => grads[p.name] as Tensor)
    }
  }

  private countCorrect(logits: Tensor, labels: Tensor): Tensor {
    const tf = this.tf
    return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'))
  }

  dispose(): void {
    for (const p of this.params) p.dispose()
  }
}
