// Entry of the training worker (worker_threads): the only thread that loads TensorFlow. It answers
// one request at a time, in order; training checks a shared cancel flag between batches, since the
// loop keeps this thread busy and a 'cancel' message would only be read after it ends.
import { parentPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import { NUM_CLASSES, IMAGE_PIXELS } from '@shared/classes'
import { loadBackend } from './backend'
import type { ModelArtifacts, WorkerEvent, WorkerRequest } from './protocol'
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
    case 'load-model':
      return loadModel(req)
    case 'unload-model':
      return unloadModel(req)
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
    result = trainDense(
      tf,
      ops,
      req.config,
      req.images,
      req.labels,
      {
        progressIntervalMs: req.progressIntervalMs,
        isCancelled: () => Atomics.load(flag, 0) === 1,
        onBatch: (p) => post({ type: 'batch', jobId: req.jobId, ...p }),
        onEpoch: (logs) =>
          post({ type: 'epoch', jobId: req.jobId, logs, numTensors: tf.memory().numTensors })
      },
      req.initialWeights
    )
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

// Models kept loaded between requests (serving, folder classification), by the host's key.
const loadedModels = new Map<string, LayersModel>()

async function loadModel(req: Extract<WorkerRequest, { type: 'load-model' }>): Promise<void> {
  const model = await loadFromArtifacts(tf, req.artifacts)
  loadedModels.get(req.key)?.dispose()
  loadedModels.set(req.key, model)
  post({ type: 'model-loaded', jobId: req.jobId })
}

function unloadModel(req: Extract<WorkerRequest, { type: 'unload-model' }>): void {
  loadedModels.get(req.key)?.dispose()
  loadedModels.delete(req.key)
  post({ type: 'model-unloaded', jobId: req.jobId })
}

async function predict(req: Extract<WorkerRequest, { type: 'predict' }>): Promise<void> {
  const kept = 'key' in req.model ? loadedModels.get(req.model.key) : undefined
  if ('key' in req.model && !kept) throw new Error(`predict: no model loaded as "${req.model.key}"`)
  const model =
    kept ?? (await loadFromArtifacts(tf, (req.model as { artifacts: ModelArtifacts }).artifacts))
  try {
    const probabilities = predictImages(model, req.images)
    post({ type: 'predicted', jobId: req.jobId, result: { probabilities } }, [
      probabilities.buffer as ArrayBuffer
    ])
  } finally {
    if (!kept) model.dispose()
  }
}

/** Class probabilities for 28x28 images, in chunks so memory stays small. */
function predictImages(model: LayersModel, images: Uint8Array | Float32Array): Float32Array {
  const count = images.length / IMAGE_PIXELS
  if (!Number.isInteger(count)) {
    throw new Error(`predict: ${images.length} values is not a whole number of 28x28 images`)
  }
  const probabilities = new Float32Array(count * NUM_CLASSES)
  const chunk = 2000
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start)
    const src = images.subarray(start * IMAGE_PIXELS, (start + size) * IMAGE_PIXELS)
    const px = src instanceof Float32Array ? src : Float32Array.from(src, (v) => v / 255)
    const out = tf.tidy(
      () =>
        // batchSize: predict's default of 32 made 10,000 images 15x slower than one call.
        model.predict(tf.tensor2d(px, [size, IMAGE_PIXELS]), { batchSize: size }) as Tensor
    )
    probabilities.set(out.dataSync() as Float32Array, start * NUM_CLASSES)
    out.dispose()
  }
  return probabilities
}
