// The training loop itself, on native TensorFlow in this test process: cancel is honoured before
// the very next batch, and nothing is left allocated afterwards.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { SEED_PRESET } from '@shared/training'
import type { Tf } from '../../src/main/engine/worker/backend'
import { RawOps } from '../../src/main/engine/training/raw-ops'
import { trainDense, TrainingCancelled } from '../../src/main/engine/training/train-loop'
import { firstTrainImages } from '../helpers/real-data'

process.env.TF_CPP_MIN_LOG_LEVEL = '2'
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-node') as Tf

describe('trainDense', () => {
  it.each([0, 1, 7])(
    'runs exactly %i batches when the cancel flag rises after them',
    async (after) => {
      const { images, labels } = await firstTrainImages(2000)
      const before = tf.memory().numTensors
      let checks = 0
      let batches = 0
      expect(() =>
        trainDense(tf, new RawOps(tf.backend()), { ...SEED_PRESET, epochs: 3 }, images, labels, {
          progressIntervalMs: 0,
          isCancelled: () => checks++ >= after,
          onBatch: () => batches++,
          onEpoch: () => undefined
        })
      ).toThrow(TrainingCancelled)
      expect(batches).toBe(after)
      expect(tf.memory().numTensors).toBe(before)
    }
  )
})
