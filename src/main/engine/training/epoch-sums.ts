// An epoch's running loss and hit count, summed on the device and read back only for a throttled
// progress event and at the epoch's end (a read per batch would synchronise every step).
import type { Tensor, Variable } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'
import type { TrainHooks } from './train-loop'

export class EpochSums {
  private readonly loss: Variable
  private readonly correct: Variable
  private seen = 0
  private lastEvent = 0

  constructor(private readonly tf: Tf) {
    this.loss = tf.tidy(() => tf.variable(tf.scalar(0), false))
    this.correct = tf.tidy(() => tf.variable(tf.scalar(0), false))
  }

  /** Starts an epoch. */
  reset(): void {
    const tf = this.tf
    tf.tidy(() => {
      this.loss.assign(tf.zerosLike(this.loss))
      this.correct.assign(tf.zerosLike(this.correct))
    })
    this.seen = 0
    this.lastEvent = performance.now()
  }

  /** Adds a batch's loss sum and hit count (scalars; call inside the step's tidy). */
  add(lossSum: Tensor, correct: Tensor): void {
    this.loss.assign(this.tf.add(this.loss, lossSum))
    this.correct.assign(this.tf.add(this.correct, correct))
  }

  /** After a batch of `size` images: a progress event when the interval has passed, or at the end. */
  batchDone(size: number, hooks: TrainHooks, epoch: number, batch: number, batches: number): void {
    this.seen += size
    const now = performance.now()
    if (now - this.lastEvent < hooks.progressIntervalMs && batch !== batches) return
    this.lastEvent = now
    hooks.onBatch({ epoch, batch, batches, ...this.means(this.seen) })
  }

  /** Mean loss and accuracy over `count` images. */
  means(count: number): { loss: number; accuracy: number } {
    return {
      loss: this.loss.dataSync()[0]! / count,
      accuracy: this.correct.dataSync()[0]! / count
    }
  }

  dispose(): void {
    this.loss.dispose()
    this.correct.dispose()
  }
}
