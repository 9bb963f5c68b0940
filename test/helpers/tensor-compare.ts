// Comparing tensors from two computations that should agree (graph and eager steps, oneDNN and
// standard kernels, float32 and bfloat16).
import type { Tensor } from '@tensorflow/tfjs'
import type { Tf } from '../../src/main/engine/worker/backend'

/** The largest absolute difference, relative to the largest magnitude in `b`. */
export function maxRelativeError(tf: Tf, a: Tensor, b: Tensor): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!
    const scale = tf.max(tf.abs(b)).dataSync()[0]!
    return diff / Math.max(scale, 1e-6)
  })
}
