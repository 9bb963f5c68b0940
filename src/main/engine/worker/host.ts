// The main-thread side of the training worker: starts it on first use, routes its events to the job
// that asked, turns a crash into an error for every job in flight, and starts a fresh worker on the
// next request. The Electron main process, the command line and the HTTP server all use this class.
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { EpochLogs, TrainConfig } from '@shared/training'
import type {
  BackendInfo,
  ModelArtifacts,
  TrainResult,
  WorkerEvent,
  WorkerRequest
} from './protocol'

export interface BatchProgress {
  epoch: number
  batch: number
  batches: number
  loss: number
  accuracy: number
}

export interface TrainHooks {
  onBatch?(p: BatchProgress): void
  onEpoch?(logs: EpochLogs, numTensors: number): void
  /** The best epoch so far as a model (presets with early stopping): a checkpoint to keep. */
  onCheckpoint?(epoch: number, artifacts: ModelArtifacts): void
}

export interface PredictOptions {
  /** Test-time augmentation: also predict the mirrored image and average the probabilities. */
  tta?: boolean
}

export interface TrainJob {
  jobId: string
  result: Promise<TrainResult>
  /** Stops training before the next batch; `result` then rejects with TrainingCancelledError. */
  cancel(): void
}

export class TrainingCancelledError extends Error {
  constructor() {
    super('training cancelled')
    this.name = 'TrainingCancelledError'
  }
}

export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WorkerCrashedError'
  }
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
  hooks?: TrainHooks
}

export class TrainingHost {
  private worker: Worker | undefined
  private ready: Promise<BackendInfo> | undefined
  private readonly pending = new Map<string, Pending>()
  private readonly models = new Map<string, ModelArtifacts>()
  /** Keys loaded in the current worker; emptied whenever a new worker starts. */
  private readonly loadedInWorker = new Set<string>()
  private readonly workerFile: string
  private readonly progressIntervalMs: number

  constructor(options: { workerFile?: string; progressIntervalMs?: number } = {}) {
    this.workerFile = options.workerFile ?? resolveWorkerFile()
    this.progressIntervalMs = options.progressIntervalMs ?? 200
  }

  /** The backend the worker runs on (starts the worker if needed). */
  backend(): Promise<BackendInfo> {
    this.start()
    return this.ready as Promise<BackendInfo>
  }

  /**
   * Starts a training job; progress arrives through the hooks while it runs. `initialWeights`
   * (a flat vector, see flatWeightsFromArtifacts) makes it a fine-tune from those weights.
   */
  train(
    config: TrainConfig,
    images: Uint8Array,
    labels: Uint8Array,
    hooks: TrainHooks = {},
    options: {
      initialWeights?: Float32Array
      /** Test images to evaluate at each epoch end (EpochLogs.test_accuracy). */
      test?: { images: Uint8Array; labels: Uint8Array }
    } = {}
  ): TrainJob {
    const cancelFlag = new SharedArrayBuffer(4)
    const jobId = randomUUID()
    const result = this.request<TrainResult>(
      {
        type: 'train',
        jobId,
        config,
        images,
        labels,
        cancelFlag,
        progressIntervalMs: this.progressIntervalMs,
        ...(options.initialWeights && { initialWeights: options.initialWeights }),
        ...(options.test && { test: options.test })
      },
      hooks
    )
    return { jobId, result, cancel: () => Atomics.store(new Int32Array(cancelFlag), 0, 1) }
  }

  /** Class probabilities (count x 10, row-major) of a model for 28x28 uint8 images. */
  async predict(
    artifacts: ModelArtifacts,
    images: Uint8Array,
    options: PredictOptions = {}
  ): Promise<Float32Array> {
    const out = await this.request<{ probabilities: Float32Array }>({
      type: 'predict',
      jobId: randomUUID(),
      model: { artifacts },
      images,
      ...(options.tta && { tta: true })
    })
    return out.probabilities
  }

  /**
   * Keeps a model loaded in the worker under `key`, for many predictions (serving, folders). The
   * host remembers it, so a worker that crashed and restarted gets it back on the next prediction.
   */
  async loadModel(key: string, artifacts: ModelArtifacts): Promise<void> {
    this.models.set(key, artifacts)
    this.loadedInWorker.delete(key)
    await this.ensureLoaded(key, artifacts)
  }

  private async ensureLoaded(key: string, artifacts: ModelArtifacts): Promise<void> {
    if (this.loadedInWorker.has(key)) return
    await this.request({ type: 'load-model', jobId: randomUUID(), key, artifacts })
    this.loadedInWorker.add(key)
  }

  async unloadModel(key: string): Promise<void> {
    if (!this.models.delete(key)) return
    if (this.loadedInWorker.delete(key)) {
      await this.request({ type: 'unload-model', jobId: randomUUID(), key })
    }
  }

  /** Probabilities from a model loaded with loadModel; images as uint8 (0..255) or float (0..1). */
  async predictLoaded(
    key: string,
    images: Uint8Array | Float32Array,
    options: PredictOptions = {}
  ): Promise<Float32Array> {
    const artifacts = this.models.get(key)
    if (!artifacts) throw new Error(`no model loaded as "${key}"`)
    // A new worker (after a crash or close) has no models yet: this reloads it first.
    await this.ensureLoaded(key, artifacts)
    const out = await this.request<{ probabilities: Float32Array }>({
      type: 'predict',
      jobId: randomUUID(),
      model: { key },
      images,
      ...(options.tta && { tta: true })
    })
    return out.probabilities
  }

  /** tf.memory() inside the worker: used by tests to check that nothing leaks. */
  memory(): Promise<{ numTensors: number; numBytes: number }> {
    return this.request({ type: 'memory', jobId: randomUUID() })
  }

  /** Ends the worker; jobs in flight reject. A later request starts a new worker. */
  async close(): Promise<void> {
    const w = this.worker
    if (!w) return
    this.failAll(new WorkerCrashedError('the training worker was stopped'))
    this.worker = undefined
    this.loadedInWorker.clear()
    this.ready = undefined
    await w.terminate()
  }

  private request<T>(req: WorkerRequest, hooks?: TrainHooks): Promise<T> {
    this.start()
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req.jobId, { resolve: resolve as (v: unknown) => void, reject, hooks })
      this.worker?.postMessage(req)
    })
  }

  private start(): void {
    if (this.worker) return
    if (!existsSync(this.workerFile)) {
      throw new Error(`training worker not found at ${this.workerFile}: run \`npm run build\``)
    }
    // TensorFlow's C++ logging reads the real environment, which a worker cannot change: set here.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'
    const worker = new Worker(this.workerFile)
    this.worker = worker
    this.loadedInWorker.clear()
    this.ready = new Promise<BackendInfo>((resolve, reject) => {
      const onMessage = (e: WorkerEvent): void => {
        if (e.type === 'ready') resolve(e.backend)
        if (e.type === 'error' && !e.jobId) reject(new WorkerCrashedError(e.message))
      }
      worker.on('message', onMessage)
      worker.once('exit', (code) =>
        reject(new WorkerCrashedError(`training worker exited (code ${code}) before it was ready`))
      )
    })
    this.ready.catch(() => undefined) // surfaced through the jobs; avoid an unhandled rejection here
    worker.on('message', (e: WorkerEvent) => this.dispatch(e))
    worker.on('error', (err) => {
      this.failAll(new WorkerCrashedError(`training worker crashed: ${err.message}`))
    })
    worker.on('exit', (code) => {
      if (this.worker !== worker) return
      this.worker = undefined
      this.loadedInWorker.clear()
      this.ready = undefined
      this.failAll(new WorkerCrashedError(`training worker exited unexpectedly (code ${code})`))
    })
  }

  private dispatch(e: WorkerEvent): void {
    if (e.type === 'ready') return
    if (e.type === 'error' && !e.jobId) return this.failAll(new WorkerCrashedError(e.message))
    const job = this.pending.get(e.jobId as string)
    if (!job) return
    switch (e.type) {
      case 'batch':
        job.hooks?.onBatch?.(e)
        return
      case 'epoch':
        job.hooks?.onEpoch?.(e.logs, e.numTensors)
        return
      case 'checkpoint':
        job.hooks?.onCheckpoint?.(e.epoch, e.artifacts)
        return
      case 'trained':
        return this.settle(e.jobId, () => job.resolve(e.result))
      case 'predicted':
        return this.settle(e.jobId, () => job.resolve(e.result))
      case 'model-loaded':
      case 'model-unloaded':
        return this.settle(e.jobId, () => job.resolve(undefined))
      case 'memory':
        return this.settle(e.jobId, () =>
          job.resolve({ numTensors: e.numTensors, numBytes: e.numBytes })
        )
      case 'cancelled':
        return this.settle(e.jobId, () => job.reject(new TrainingCancelledError()))
      case 'error':
        return this.settle(e.jobId as string, () => job.reject(new Error(e.message)))
    }
  }

  private settle(jobId: string, fn: () => void): void {
    this.pending.delete(jobId)
    fn()
  }

  private failAll(err: Error): void {
    const jobs = [...this.pending.values()]
    this.pending.clear()
    for (const job of jobs) job.reject(err)
  }
}

/**
 * out/main/training-worker.js beside the bundled engine (which may sit in out/main/chunks/), or in
 * the repository when running from source.
 */
export function resolveWorkerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    process.env.FASHION_STUDIO_WORKER,
    join(here, 'training-worker.js'),
    join(here, '..', 'training-worker.js'),
    resolve('out/main/training-worker.js')
  ]
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? (candidates[1] as string)
}
