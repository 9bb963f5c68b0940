// Dynamic batching: while the worker is busy with one batch, arriving requests collect into the
// next, which goes as soon as the worker is free (or as soon as it is full). Under light load a
// request goes alone at once; under heavy load batches grow and throughput with them, instead of
// paying a worker round trip per request. The number of images accepted and not yet answered is
// bounded: past it new work is refused at once (the server answers 503 with Retry-After).
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'

export class QueueFullError extends Error {
  readonly statusCode = 503
}

export interface BatcherOptions {
  predict(pixels: Float32Array): Promise<Float32Array>
  /** Most images in one batch. */
  maxBatch: number
  /** With the worker idle, wait this long for company before sending (0: send at once). */
  maxDelayMs: number
  /** Images accepted and not yet answered, at most. */
  maxQueue: number
}

interface Waiting {
  pixels: Float32Array
  count: number
  resolve(p: Float32Array): void
  reject(e: Error): void
}

export class DynamicBatcher {
  private waiting: Waiting[] = []
  private queued = 0
  private outstanding = 0
  private busy = false
  private timer: NodeJS.Timeout | undefined
  /** Sizes of the batches sent, for the benchmark and tests. */
  readonly batchSizes: number[] = []

  constructor(private readonly o: BatcherOptions) {}

  /** Probabilities (count x 10) for `count` images of 784 floats each. */
  predict(pixels: Float32Array, count: number): Promise<Float32Array> {
    if (this.outstanding + count > this.o.maxQueue) {
      return Promise.reject(new QueueFullError(`server busy: ${this.outstanding} images queued`))
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ pixels, count, resolve, reject })
      this.queued += count
      this.outstanding += count
      if (this.busy) return // sent when the batch in flight returns
      if (this.o.maxDelayMs <= 0 || this.queued >= this.o.maxBatch) void this.send()
      else this.timer ??= setTimeout(() => void this.send(), this.o.maxDelayMs)
    })
  }

  /** Sends up to maxBatch waiting images, then whatever collected meanwhile, until none wait. */
  private async send(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.busy = true
    while (this.waiting.length > 0) {
      const batch = this.take()
      await this.run(batch)
    }
    this.busy = false
  }

  private take(): Waiting[] {
    const batch: Waiting[] = []
    let total = 0
    while (
      this.waiting.length > 0 &&
      (batch.length === 0 || total + this.waiting[0]!.count <= this.o.maxBatch)
    ) {
      const w = this.waiting.shift()!
      batch.push(w)
      total += w.count
    }
    this.queued -= total
    return batch
  }

  private async run(batch: Waiting[]): Promise<void> {
    const total = batch.reduce((n, w) => n + w.count, 0)
    this.batchSizes.push(total)
    const pixels = new Float32Array(total * IMAGE_PIXELS)
    let offset = 0
    for (const w of batch) {
      pixels.set(w.pixels, offset * IMAGE_PIXELS)
      offset += w.count
    }
    try {
      const probs = await this.o.predict(pixels)
      offset = 0
      for (const w of batch) {
        w.resolve(probs.slice(offset * NUM_CLASSES, (offset + w.count) * NUM_CLASSES))
        offset += w.count
      }
    } catch (err) {
      for (const w of batch) w.reject(err instanceof Error ? err : new Error(String(err)))
    } finally {
      this.outstanding -= total
    }
  }
}
