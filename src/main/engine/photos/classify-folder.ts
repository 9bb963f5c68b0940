// Classifying a folder of photos as a pipeline: the scanner streams file names, up to `concurrency`
// photos are read and preprocessed at once (libvips works on the libuv thread pool, our raster code
// on this thread), and every `batchSize` photos go to the inference engine's worker while the next ones are
// being decoded. Results come out in scan order, one appended batch at a time, so memory stays flat
// for any folder size and a cancelled run leaves a valid, resumable CSV.
import sharp from 'sharp'
import { IMAGE_PIXELS } from '@shared/classes'
import type { Predictor } from '../inference/engines'
import { WorkerCrashedError } from '../worker/host'
import { PhotoError, type PhotoErrorCode } from './errors'
import { preprocessPhoto, type PhotoSteps } from './preprocess'
import type { ClassProbability, PhotoResult } from './results'
import { scanPhotos, type ScanEntry } from './scan'
import { classFolderName, REVIEW_FOLDER, type PhotoSorter } from './sort-into'

export interface ClassifyFolderOptions {
  /** The model, loaded in an inference engine (tfjs or onnx) with openPredictor. */
  predictor: Predictor
  classes: readonly string[]
  root: string
  /** Below this top-1 probability a photo is flagged (and sorted into _review). */
  lowConfidence: number
  /** Files to leave out (already in the CSV of a resumed run). */
  done?: ReadonlySet<string>
  exclude?: string[]
  /** Files not to list at all (the results CSV, when it sits in the folder). */
  excludeFiles?: string[]
  sorter?: PhotoSorter
  batchSize?: number
  concurrency?: number
  limitInputPixels?: number
  signal?: AbortSignal
  /** Attach each photo's 28x28 model input to its result (the studio shows what the model saw). */
  keepPixels?: boolean
  /** Each batch of results, in scan order, before the next batch is started. */
  onResults(results: PhotoResult[]): void
  /** After each photo is preprocessed or skipped (for a progress bar). */
  onProgress?(p: ClassifyProgress): void
}

export interface ClassifyProgress {
  processed: number
  skipped: number
}

export interface StepTotals extends PhotoSteps {
  /** Worker round trips for the batches (the worker runs beside preprocessing, not after it). */
  inferenceMs: number
}

export interface ClassifySummary {
  classified: number
  lowConfidence: number
  skipped: number
  skippedBy: Partial<Record<PhotoErrorCode, number>>
  /** Files whose names are not photos (hidden files, .txt, ...). */
  ignored: number
  /** Files left out because a resumed CSV already has them. */
  alreadyDone: number
  cancelled: boolean
  seconds: number
  /** CPU time of the whole process (libvips threads and the inference worker included). */
  cpuSeconds: number
  /** Peak resident memory of the process (MB): flat whatever the folder's size. */
  maxRssMB: number
  photosPerSecond: number
  steps: StepTotals
  batches: number
}

type Prepared =
  | { rel: string; path: string; pixels: Uint8Array }
  | { rel: string; path?: string; error: PhotoError }

export async function classifyFolder(o: ClassifyFolderOptions): Promise<ClassifySummary> {
  const started = performance.now()
  const cpuStart = process.cpuUsage()
  const batchSize = o.batchSize ?? 256
  const concurrency = o.concurrency ?? 8
  // Many small images at once: one libvips thread per image beats several threads on one image,
  // and libvips' operation cache would only hold on to buffers we never decode twice.
  sharp.concurrency(1)
  sharp.cache(false)
  const summary: ClassifySummary = {
    classified: 0,
    lowConfidence: 0,
    skipped: 0,
    skippedBy: {},
    ignored: 0,
    alreadyDone: 0,
    cancelled: false,
    seconds: 0,
    cpuSeconds: 0,
    maxRssMB: 0,
    photosPerSecond: 0,
    steps: { readMs: 0, decodeMs: 0, preprocessMs: 0, inferenceMs: 0 },
    batches: 0
  }
  const progress = { processed: 0, skipped: 0 }
  const prepare = async (entry: ScanEntry & { kind: 'photo' | 'skip' }): Promise<Prepared> => {
    if (entry.kind === 'skip') return { rel: entry.rel, error: entry.error }
    try {
      const photo = await preprocessPhoto(entry.path, { limitInputPixels: o.limitInputPixels })
      summary.steps.readMs += photo.steps.readMs
      summary.steps.decodeMs += photo.steps.decodeMs
      summary.steps.preprocessMs += photo.steps.preprocessMs
      return { rel: entry.rel, path: entry.path, pixels: photo.pixels }
    } catch (err) {
      // Whatever a file does to the decoder, the run goes on: it becomes a skipped row.
      const error =
        err instanceof PhotoError
          ? err
          : new PhotoError('corrupt', `cannot read: ${(err as Error).message ?? err}`)
      return { rel: entry.rel, path: entry.path, error }
    }
  }

  const window: Promise<Prepared>[] = []
  let batch: Prepared[] = []
  let batchPhotos = 0
  // Batches being inferred, sorted and written, each after the one before it (scan order).
  const pending: Promise<void>[] = []
  const flush = async (): Promise<void> => {
    const items = batch
    batch = []
    batchPhotos = 0
    if (items.length === 0) return
    const inference = infer(o, items, summary)
    const previous = pending.at(-1) ?? Promise.resolve()
    const written = previous.then(() => inference).then((p) => finishBatch(o, items, p, summary))
    written.catch(() => undefined) // awaited below; avoid an unhandled rejection meanwhile
    pending.push(written)
    // Back-pressure: preprocessing runs at most two batches ahead of what has been written.
    if (pending.length > 2) await pending.shift()
  }
  const take = async (): Promise<void> => {
    const item = await window.shift()!
    progress.processed++
    if ('error' in item) progress.skipped++
    else batchPhotos++
    o.onProgress?.({ ...progress })
    batch.push(item)
    // Skipped files ride along with the photos; a folder of only bad files still gets written.
    if (batchPhotos >= batchSize || batch.length >= 4 * batchSize) await flush()
  }

  for await (const entry of scanPhotos(o.root, {
    exclude: o.exclude,
    excludeFiles: o.excludeFiles
  })) {
    if (o.signal?.aborted) {
      summary.cancelled = true
      break
    }
    if (entry.kind === 'ignored') {
      summary.ignored++
      continue
    }
    if (o.done?.has(entry.rel)) {
      summary.alreadyDone++
      continue
    }
    window.push(prepare(entry))
    if (window.length >= concurrency) await take()
  }
  while (window.length > 0) await take()
  await flush()
  for (const p of pending) await p
  summary.seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuStart)
  summary.cpuSeconds = (cpu.user + cpu.system) / 1e6
  summary.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024)
  summary.photosPerSecond = (summary.classified + summary.skipped) / Math.max(1e-9, summary.seconds)
  return summary
}

/** Probabilities for the batch's good photos; a crashed worker is restarted and asked once more. */
async function infer(
  o: ClassifyFolderOptions,
  items: Prepared[],
  summary: ClassifySummary
): Promise<Float32Array> {
  const good = items.filter((i): i is Prepared & { pixels: Uint8Array } => 'pixels' in i)
  if (good.length === 0) return new Float32Array(0)
  const images = new Uint8Array(good.length * IMAGE_PIXELS)
  good.forEach((g, k) => images.set(g.pixels, k * IMAGE_PIXELS))
  const t = performance.now()
  try {
    return await o.predictor.predict(images)
  } catch (err) {
    if (!(err instanceof WorkerCrashedError)) throw err
    return await o.predictor.predict(images)
  } finally {
    summary.steps.inferenceMs += performance.now() - t
    summary.batches++
  }
}

async function finishBatch(
  o: ClassifyFolderOptions,
  items: Prepared[],
  probs: Float32Array,
  summary: ClassifySummary
): Promise<void> {
  const n = o.classes.length
  let k = 0
  const results = items.map((item): PhotoResult => {
    if ('error' in item) {
      summary.skipped++
      summary.skippedBy[item.error.code] = (summary.skippedBy[item.error.code] ?? 0) + 1
      return {
        file: item.rel,
        status: 'skipped',
        reason: item.error.message,
        code: item.error.code
      }
    }
    const top3 = topK(probs.subarray(k * n, (k + 1) * n), o.classes, 3)
    k++
    const best = top3[0]!
    const pixels = o.keepPixels ? { pixels: item.pixels } : {}
    const low = best.probability < o.lowConfidence
    summary.classified++
    if (low) summary.lowConfidence++
    return {
      file: item.rel,
      status: 'ok',
      class: best.class,
      confidence: best.probability,
      lowConfidence: low,
      top3,
      ...pixels
    }
  })
  if (o.sorter) await sortAll(o.sorter, items, results)
  o.onResults(results)
}

/** Copies or moves the batch's photos, a few at a time (file-system bound, not CPU bound). */
async function sortAll(sorter: PhotoSorter, items: Prepared[], results: PhotoResult[]) {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < results.length) {
      const i = next++
      const r = results[i]!
      const path = items[i]!.path
      if (r.status !== 'ok' || !path) continue
      const folder = r.lowConfidence ? REVIEW_FOLDER : classFolderName(r.class!)
      try {
        r.sortedTo = await sorter.place(path, folder)
      } catch (err) {
        // The photo stays where it was (a failed copy or move never deletes the original).
        r.reason = `not sorted: ${(err as Error).message}`
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}

export function topK(p: Float32Array, classes: readonly string[], k: number): ClassProbability[] {
  return Array.from(p, (probability, i) => ({ class: classes[i] ?? String(i), probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k)
}
