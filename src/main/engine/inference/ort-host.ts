// The main-thread side of the onnxruntime worker: starts it, loads the model into it, sends batches
// and matches the answers to them. A worker that crashes fails the batches in flight with
// WorkerCrashedError; the next prediction starts a fresh worker with the same model bytes. Once
// closed it stays closed: a batch that arrives late (a request whose client left while the server was
// stopping) is refused rather than starting a worker that would keep the process alive.
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { WorkerCrashedError } from '../worker/host'
import type { OrtEvent, OrtRequest } from './ort-protocol'

/**
 * ONNX Runtime's default is one intra-op thread per physical core, and those threads spin-wait
 * after every run. Here the thread that feeds the model needs a core of its own: the HTTP server's
 * event loop (JSON parsing, batching) or the photo decoder (libvips, our raster code), which are
 * the bottleneck end to end. On this project's 2-core machines that leaves one thread for ORT.
 * Measured with bench/onnx-vs-tfjs.mjs: for the seed (dense) model 1 thread is as fast as the
 * default at batch 1 and 256 (~20k and ~200k images/s); a small CNN loses up to a third at batch
 * 256 (43k against 70k images/s), still well ahead of tfjs-node (17k).
 */
export function defaultIntraOpThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1))
}

interface Pending {
  resolve(value: Float32Array | undefined): void
  reject(err: Error): void
}

export class OrtHost {
  private worker: Worker | undefined
  /** Settles once the current worker has the model loaded. */
  private loaded: Promise<void> | undefined
  private readonly pending = new Map<string, Pending>()
  private closed = false
  private readonly workerFile: string
  private readonly intraOpThreads: number

  constructor(
    private readonly model: Uint8Array,
    private readonly inputShape: number[],
    options: { workerFile?: string; intraOpThreads?: number } = {}
  ) {
    this.workerFile = options.workerFile ?? resolveOrtWorkerFile()
    this.intraOpThreads = options.intraOpThreads ?? defaultIntraOpThreads()
  }

  /** Starts the worker and loads the model; rejects with the reason when it cannot. */
  load(): Promise<void> {
    if (this.loaded) return this.loaded
    this.start()
    this.loaded = this.request<undefined>({
      type: 'load',
      jobId: randomUUID(),
      // Cloned, not transferred: the host keeps the bytes to reload a worker after a crash.
      model: this.model,
      inputShape: this.inputShape,
      intraOpThreads: this.intraOpThreads
    }).then(() => undefined)
    // A failed load is retried on the next request rather than remembered.
    this.loaded.catch(() => (this.loaded = undefined))
    return this.loaded
  }

  /** Model outputs (count x classes, row-major) for 28x28 images, uint8 (0..255) or float (0..1). */
  async predict(images: Uint8Array | Float32Array): Promise<Float32Array> {
    await this.load()
    const out = await this.request<Float32Array>({ type: 'predict', jobId: randomUUID(), images })
    return out as Float32Array
  }

  async close(): Promise<void> {
    this.closed = true
    const w = this.worker
    if (!w) return
    this.worker = undefined
    this.loaded = undefined
    this.failAll(new WorkerCrashedError('the onnxruntime worker was stopped'))
    await w.terminate()
  }

  private request<T>(req: OrtRequest): Promise<T | undefined> {
    this.start()
    return new Promise<T | undefined>((resolve, reject) => {
      this.pending.set(req.jobId, {
        resolve: resolve as (v: Float32Array | undefined) => void,
        reject
      })
      this.worker?.postMessage(req)
    })
  }

  private start(): void {
    if (this.closed) throw new Error('the onnxruntime engine was closed')
    if (this.worker) return
    if (!existsSync(this.workerFile)) {
      throw new Error(`onnxruntime worker not found at ${this.workerFile}: run \`npm run build\``)
    }
    const worker = new Worker(this.workerFile)
    this.worker = worker
    worker.on('message', (e: OrtEvent) => this.dispatch(e))
    worker.on('error', (err) =>
      this.failAll(new WorkerCrashedError(`onnxruntime worker crashed: ${err.message}`))
    )
    worker.on('exit', (code) => {
      if (this.worker !== worker) return
      this.worker = undefined
      this.loaded = undefined
      this.failAll(new WorkerCrashedError(`onnxruntime worker exited unexpectedly (code ${code})`))
    })
  }

  private dispatch(e: OrtEvent): void {
    if (e.type === 'ready') return
    if (e.type === 'error' && !e.jobId) return this.failAll(new WorkerCrashedError(e.message))
    const job = this.pending.get(e.jobId as string)
    if (!job) return
    this.pending.delete(e.jobId as string)
    if (e.type === 'error') job.reject(new Error(e.message))
    else job.resolve(e.type === 'predicted' ? e.probabilities : undefined)
  }

  private failAll(err: Error): void {
    const jobs = [...this.pending.values()]
    this.pending.clear()
    for (const job of jobs) job.reject(err)
  }
}

/**
 * out/main/onnx-worker.js beside the bundled engine (which may sit in out/main/chunks/), or in the
 * repository when running from source.
 */
export function resolveOrtWorkerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    process.env.FASHION_STUDIO_ORT_WORKER,
    join(here, 'onnx-worker.js'),
    join(here, '..', 'onnx-worker.js'),
    resolve('out/main/onnx-worker.js')
  ]
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? (candidates[1] as string)
}
