// Entry of the training worker (worker_threads): the only thread that loads TensorFlow. It answers
// one request at a time, in order; training checks a shared cancel flag between batches, since the
// loop keeps this thread busy and a 'cancel' message would only be read after it ends.
import { parentPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import { NUM_CLASSES, IMAGE_PIXELS } from '@shared/classes'
import { loadBackend } from './backend'
import { installOpProfile, takeOpProfile } from './op-profile'
import type { ModelArtifacts, WorkerEvent, WorkerRequest } from './protocol'
import { RawOps } from '../training/raw-ops'
import { trainDense, TrainingCancelled, type TrainHooks } from '../training/train-loop'
import { buildArchitecture } from '../training/architecture'
import { ConvOps } from '../training/conv-ops'
import { cpuHasBfloat16, DT_BFLOAT16 } from '../training/precision'
import { trainLayers } from '../training/layer-train-loop'
import { eagerStepsRequested } from '../training/step-engine'
import { LayerNetwork } from '../training/layer-network'
import { networkFromModel } from '../training/model-to-network'
import {
  artifactsNow,
  denseLayersModel,
  loadFromArtifacts,
  networkToLayersModel,
  saveToArtifacts,
  toLayersModel
} from '../training/layers-model'
import { isPlainDense, type EpochLogs } from '@shared/training'
import { unitPixels } from '../data/unit-pixels'

const port = parentPort as MessagePort
const post = (e: WorkerEvent, transfer: ArrayBuffer[] = []): void => port.postMessage(e, transfer)

type Loaded = Awaited<ReturnType<typeof loadBackend>> & { ops: RawOps | undefined }
let tf: Loaded['tf']
let ops: RawOps | undefined
let convOps: ConvOps | undefined

// Requests wait behind the backend load, then run one at a time.
let queue: Promise<void> = loadBackend().then(
  (loaded) => {
    tf = loaded.tf
    ops = loaded.info.native ? new RawOps(tf.backend()) : undefined
    convOps = loaded.info.native ? new ConvOps(tf, tf.backend()) : undefined
    if (process.env.FASHION_STUDIO_PROFILE_OPS) installOpProfile(tf.backend())
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
  const hooks = {
    progressIntervalMs: req.progressIntervalMs,
    isCancelled: () => Atomics.load(flag, 0) === 1,
    onBatch: (p: Omit<Extract<WorkerEvent, { type: 'batch' }>, 'type' | 'jobId'>) =>
      post({ type: 'batch', jobId: req.jobId, ...p }),
    onEpoch: (logs: EpochLogs) =>
      post({ type: 'epoch', jobId: req.jobId, logs, numTensors: tf.memory().numTensors })
  }
  let trained: { model: LayersModel; history: EpochLogs[] }
  try {
    // The seed network too trains fastest as one TensorFlow graph per step (layer network, graph
    // steps); its flat-vector path serves the backends without native TensorFlow and eager runs.
    const seedPath = isPlainDense(req.config) && !req.test && (!ops || eagerStepsRequested())
    trained = seedPath ? trainSeedNetwork(req, hooks) : await trainLayerNetwork(req, hooks)
  } catch (err) {
    if (err instanceof TrainingCancelled) return post({ type: 'cancelled', jobId: req.jobId })
    throw err
  }
  const trainSeconds = (performance.now() - t0) / 1000
  if (process.env.FASHION_STUDIO_PROFILE_OPS) console.error(takeOpProfile())
  try {
    const artifacts = await saveToArtifacts(tf, trained.model)
    post(
      {
        type: 'trained',
        jobId: req.jobId,
        result: { artifacts, history: trained.history, trainSeconds }
      },
      [artifacts.weightData]
    )
  } finally {
    trained.model.dispose()
  }
}

type TrainRequest = Extract<WorkerRequest, { type: 'train' }>

let bfloat16Ops: { raw: RawOps; conv: ConvOps } | undefined

/** Layer kernels in bfloat16 (precision.ts), or a clear refusal where they would not be faster. */
function mixedPrecisionOps(): { raw: RawOps; conv: ConvOps } {
  if (bfloat16Ops) return bfloat16Ops
  if (!cpuHasBfloat16()) {
    throw new Error(
      'mixed precision needs a CPU with bfloat16 units (Intel AMX or AVX-512 BF16); this one has none, so it would be slower than float32. Train without it.'
    )
  }
  const conv = new ConvOps(tf, tf.backend(), DT_BFLOAT16)
  if (!conv.oneDnn) {
    throw new Error(
      "mixed precision needs TensorFlow's oneDNN bfloat16 kernels, which this TensorFlow build lacks. Train without it."
    )
  }
  bfloat16Ops = { raw: new RawOps(tf.backend(), DT_BFLOAT16), conv }
  return bfloat16Ops
}

/**
 * The study's dense network as one flat weight vector with eager kernels (dense-network.ts): for
 * backends without native TensorFlow, and FASHION_STUDIO_EAGER_STEPS=1.
 */
function trainSeedNetwork(
  req: TrainRequest,
  hooks: TrainHooks
): { model: LayersModel; history: EpochLogs[] } {
  const result = trainDense(tf, ops, req.config, req.images, req.labels, hooks, req.initialWeights)
  try {
    return { model: toLayersModel(tf, result.network, result.weights), history: result.history }
  } finally {
    result.weights.dispose()
  }
}

/** Every other preset: layer by layer (layer-network.ts), with checkpoints of the best epoch. */
async function trainLayerNetwork(
  req: TrainRequest,
  hooks: TrainHooks
): Promise<{ model: LayersModel; history: EpochLogs[] }> {
  if (!ops || !convOps) {
    throw new Error(
      `the ${req.config.preset} preset needs native TensorFlow (tfjs-node); this worker runs on ${tf.getBackend()}. Run \`npm run setup\`.`
    )
  }
  const compute = req.config.mixedPrecision ? mixedPrecisionOps() : undefined
  const result = trainLayers(
    tf,
    ops,
    convOps,
    req.config,
    req.images,
    req.labels,
    {
      ...hooks,
      onBest: (weights, epoch) => {
        const model = networkToLayersModel(tf, buildArchitecture(req.config), weights)
        try {
          const artifacts = artifactsNow(model)
          post({ type: 'checkpoint', jobId: req.jobId, epoch, artifacts }, [artifacts.weightData])
        } finally {
          model.dispose()
        }
      }
    },
    { initialWeights: req.initialWeights, test: req.test, compute }
  )
  try {
    return {
      // A plain dense network saves as the study's model whichever path trained it.
      model: isPlainDense(req.config)
        ? denseLayersModel(
            tf,
            [IMAGE_PIXELS, ...req.config.hiddenUnits, NUM_CLASSES],
            result.weights
          )
        : networkToLayersModel(tf, result.network.layers, result.weights),
      history: result.history
    }
  } finally {
    tf.dispose(result.weights)
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
    const probabilities = predictImages(model, req.images, req.tta === true)
    post({ type: 'predicted', jobId: req.jobId, result: { probabilities } }, [
      probabilities.buffer as ArrayBuffer
    ])
  } finally {
    if (!kept) model.dispose()
  }
}

const nativeNetworks = new WeakMap<
  LayersModel,
  { network: LayerNetwork; weights: Tensor[] } | null
>()

/**
 * A convolutional model of ours predicted through LayerNetwork (see model-to-network.ts), decided
 * once per loaded model. Dense-only models stay on tfjs, whose fused MatMul is as fast.
 */
function nativeNetworkOf(model: LayersModel): { network: LayerNetwork; weights: Tensor[] } | null {
  if (!ops || !convOps) return null
  if (!nativeNetworks.has(model)) {
    const found = networkFromModel(model)
    nativeNetworks.set(
      model,
      found && found.layers.some((l) => l.kind === 'conv')
        ? { network: new LayerNetwork(tf, ops, convOps, found.layers), weights: found.weights }
        : null
    )
  }
  return nativeNetworks.get(model) ?? null
}

/** Class probabilities for 28x28 images, in chunks so memory stays small. */
function predictImages(
  model: LayersModel,
  images: Uint8Array | Float32Array,
  tta: boolean
): Float32Array {
  const count = images.length / IMAGE_PIXELS
  if (!Number.isInteger(count)) {
    throw new Error(`predict: ${images.length} values is not a whole number of 28x28 images`)
  }
  const probabilities = new Float32Array(count * NUM_CLASSES)
  const chunk = 2000
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start)
    const src = images.subarray(start * IMAGE_PIXELS, (start + size) * IMAGE_PIXELS)
    const px = src instanceof Float32Array ? src : unitPixels(src)
    const native = nativeNetworkOf(model)
    const run = (x: Tensor): Tensor =>
      native
        ? tf.softmax(native.network.forward(native.weights, x, false).logits)
        : // batchSize: predict's default of 32 made 10,000 images 15x slower than one call.
          (model.predict(x, { batchSize: size }) as Tensor)
    const out = tf.tidy(() => {
      const x = tf.tensor2d(px, [size, IMAGE_PIXELS])
      const p = run(x)
      if (!tta) return p
      const mirrored = tf.reshape(tf.reverse(tf.reshape(x, [size, 28, 28]), 2), [
        size,
        IMAGE_PIXELS
      ])
      return tf.div(tf.add(p, run(mirrored)), 2)
    })
    probabilities.set(out.dataSync() as Float32Array, start * NUM_CLASSES)
    out.dispose()
  }
  return probabilities
}
