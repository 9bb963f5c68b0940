// Entry of the training worker (worker_threads): the only thread that loads TensorFlow. It answers
// one request at a time, in order; training checks a shared cancel flag between batches, since the
// loop keeps this thread busy and a 'cancel' message would only be read after it ends.
import { parentPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { Tensor } from '@tensorflow/tfjs'
import { NUM_CLASSES, IMAGE_PIXELS } from '@shared/classes'
import { loadBackend } from './backend'
import type { WorkerEvent, WorkerRequest } from './protocol'
import { RawOps } from '../training/raw-ops'
import { trainDense, TrainingCancelled } from '../training/train-loop'
import { loadFromArtifacts, saveToArtifacts, toLayersModel } from '../training/layers-model'

const port = parentPort as MessagePort
const post = (e: WorkerEvent, transfer: ArrayBuffer[] = []): void => port.postMessage(e, transfer)

type Loaded = Awaited<ReturnType<typeof loadBackend>> & { ops: RawOps | undefined }
let tf: Loaded['tf']
let ops: RawOps | undefined

// Requests wait behind the backend load, then run one at a time.
let queue: Promise<void> = loadBackend().then(
  (loaded) => {
    tf = loaded.tf
    ops = loaded.info.native ? new RawOps(tf.backend()) : undefined
    // One op at start: tfjs-node creates its eager context lazily, and a worker terminated before
    // its first op crashed the whole process at exit (seen with TensorFlow 2.21).
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync())
    post({ type: 'ready', backend: loaded.info })
  },
  (err: unknown) => {
    post({
      type: 'error',
      message: `TensorFlow failed to load: ${err instanceof Error ? err.message : String(err)}`
    })
    process.exit(1)
  }
)
port.on('message', (req: WorkerRequest) => {
  queue = queue
    .then(() => handle(req))
    .catch((err: unknown) => {
      if (process.env.FASHION_STUDIO_DEBUG) console.error(err)
      post({
        type: 'error',
        jobId: req.jobId,
        message: err instanceof Error ? err.message : String(err)
      })
    })
})

async function handle(req: WorkerRequest): Promise<void> {
  switch (req.type) {
    case 'train':
      return train(req)
    case 'predict':
      return predict(req)
    case 'memory': {
      const m = tf.memory()
      return post({
        type: 'memory',
        jobId: req.jobId,
        numTensors: m.numTensors,
        numBytes: m.numBytes
      })
    }
  }
}

async function train(req: Extract<WorkerRequest, { type: 'train' }>): Promise<void> {
  const flag = new Int32Array(req.cancelFlag)
  const t0 = performance.now()
  let result
  try {
    result = trainDense(tf, ops, req.config, req.images, req.labels, {
      progressIntervalMs: req.progressIntervalMs,
      isCancelled: () => Atomics.load(flag, 0) === 1,
      onBatch: (p) => post({ type: 'batch', jobId: req.jobId, ...p }),
      onEpoch: (logs) =>
        post({ type: 'epoch', jobId: req.jobId, logs, numTensors: tf.memory().numTensors })
    })
  } catch (err) {
    if (err instanceof TrainingCancelled) return post({ type: 'cancelled', jobId: req.jobId })
    throw err
  }
  const trainSeconds = (performance.now() - t0) / 1000
  const model = toLayersModel(tf, result.network, result.weights)
  try {
    const artifacts = await saveToArtifacts(tf, model)
    post(
      {
        type: 'trained',
        jobId: req.jobId,
        result: { artifacts, history: result.history, trainSeconds }
      },
      [artifacts.weightData]
    )
  } finally {
    model.dispose()
    result.weights.dispose()
  }
}

async function predict(req: Extract<WorkerRequest, { type: 'predict' }>): Promise<void> {
  const model = await loadFromArtifacts(tf, req.artifacts)
  try {
    const count = req.images.length / IMAGE_PIXELS
    if (!Number.isInteger(count))
      throw new Error(`predict: ${req.images.length} bytes is not a whole number of 28x28 images`)
    const probabilities = new Float32Array(count * NUM_CLASSES)
    const chunk = 2000
    for (let start = 0; start < count; start += chunk) {
      const size = Math.min(chunk, count - start)
      const px = new Float32Array(size * IMAGE_PIXELS)
      const src = req.images.subarray(start * IMAGE_PIXELS, (start + size) * IMAGE_PIXELS)
      for (let i = 0; i < px.length; i++) px[i] = src[i]! / 255
      const out = tf.tidy(
        () =>
          // batchSize: predict's default of 32 made 10,000 images 15x slower than one call.
          model.predict(tf.tensor2d(px, [size, IMAGE_PIXELS]), { batchSize: size }) as Tensor
      )
      probabilities.set(out.dataSync() as Float32Array, start * NUM_CLASSES)
      out.dispose()
    }
    post({ type: 'predicted', jobId: req.jobId, result: { probabilities } }, [
      probabilities.buffer as ArrayBuffer
    ])
  } finally {
    model.dispose()
  }
}
