// One folder of product photos classified from the studio: the engine's classifyFolder (the same
// pipeline as `fashion-studio classify`: sharp decoding here in main, inference in the worker) with
// its results kept for paging, per-class counts, the user's corrections, and exports. On disk, in
// <workspace>/photo-runs/<runId>/: the CLI's results CSV (appended per batch, so a cancelled run
// keeps every row written), the 28x28 model inputs (pixels.bin, 784 bytes per file at its index)
// and the corrections (corrections.jsonl, appended and fsync'd before a correction is confirmed).
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { IMAGE_PIXELS } from '@shared/classes'
import {
  bytesToBase64,
  type PhotoGroup,
  type PhotoGroupCounts,
  type PhotoItem,
  type PhotoPage,
  type PhotoRunState
} from '@shared/studio-api'
import { classifyFolder } from '../engine/photos/classify-folder'
import { ResultsFile, type PhotoResult } from '../engine/photos/results'
import { countCandidates } from '../engine/photos/scan'
import type { TrainingHost } from '../engine/worker/host'
import type { ModelArtifacts } from '../engine/worker/protocol'

/** What the studio keeps of each file (the 28x28 input stays on disk). */
export interface StoredPhoto {
  file: string
  status: 'ok' | 'skipped'
  predicted: number | null
  confidence: number | null
  lowConfidence: boolean
  top3: { classIndex: number; probability: number }[]
  reason: string | null
  corrected: number | null
  sortedTo: string | null
}

export interface PhotoRunOptions {
  host: TrainingHost
  runId: string
  /** <workspace>/photo-runs/<runId>. */
  dir: string
  folder: string
  modelId: string
  classes: string[]
  artifacts: ModelArtifacts
  lowConfidence: number
  /** Folders not to scan (the workspace, should it sit inside the photo folder). */
  exclude: string[]
  onChange(state: PhotoRunState): void
}

/** State events at most this often while running (each carries the whole state). */
const EMIT_EVERY_MS = 200

export class PhotoRun {
  readonly state: PhotoRunState
  readonly results: StoredPhoto[] = []
  /** Settles when the run has ended, whatever the outcome (never rejects). */
  readonly finished: Promise<void>
  private readonly abort = new AbortController()
  private readonly started = performance.now()
  private lastEmit = 0
  private pixelsFd: number | undefined
  private readonly modelKey: string

  private constructor(private readonly o: PhotoRunOptions) {
    this.modelKey = `photos:${o.runId}`
    this.state = {
      runId: o.runId,
      status: 'running',
      folder: o.folder,
      modelId: o.modelId,
      classes: o.classes,
      lowConfidence: o.lowConfidence,
      total: null,
      processed: 0,
      skipped: 0,
      photosPerSecond: 0,
      startedAt: new Date().toISOString(),
      seconds: 0,
      error: null,
      counts: { classes: o.classes.map(() => 0), review: 0, skipped: 0, corrected: 0 }
    }
    this.finished = this.run()
  }

  /** Creates the run's folder, then classifies in the background. */
  static async start(o: PhotoRunOptions): Promise<PhotoRun> {
    await mkdir(o.dir, { recursive: true })
    return new PhotoRun(o)
  }

  get running(): boolean {
    return this.state.status === 'running'
  }

  cancel(): void {
    this.abort.abort()
  }

  private async run(): Promise<void> {
    let csv: ResultsFile | undefined
    try {
      csv = (await ResultsFile.open(join(this.o.dir, 'results.csv'), { resume: false })).file
      this.pixelsFd = openSync(join(this.o.dir, 'pixels.bin'), 'w+')
      // The total only feeds the progress bar: counted beside the run, which streams anyway.
      void countCandidates(this.o.folder, { exclude: this.o.exclude }).then(
        (n) => {
          this.state.total = n
          this.emit(true)
        },
        () => undefined
      )
      await this.o.host.loadModel(this.modelKey, this.o.artifacts)
      const summary = await classifyFolder({
        // The studio's photo runs use the training worker (tfjs engine), where the model is loaded.
        predictor: {
          engine: 'tfjs',
          predict: (images) => this.o.host.predictLoaded(this.modelKey, images),
          close: async () => undefined
        },
        classes: this.o.classes,
        root: this.o.folder,
        lowConfidence: this.o.lowConfidence,
        exclude: this.o.exclude,
        keepPixels: true,
        // Fewer photos in flight than the CLI: main also answers the window.
        concurrency: 4,
        batchSize: 128,
        signal: this.abort.signal,
        onResults: (batch) => {
          csv!.append(batch)
          this.add(batch)
          this.emit(false)
        },
        onProgress: (p) => {
          this.state.processed = p.processed
          this.state.skipped = p.skipped
          this.emit(false)
        }
      })
      this.finish(summary.cancelled ? 'cancelled' : 'done', null)
    } catch (err) {
      this.finish('error', err instanceof Error ? err.message : String(err))
    } finally {
      csv?.close()
      await this.o.host.unloadModel(this.modelKey).catch(() => undefined)
    }
  }

  private finish(status: PhotoRunState['status'], error: string | null): void {
    this.state.processed = this.results.length
    this.state.skipped = this.state.counts.skipped
    // A finished run has seen every file, whether or not the count beside it was done.
    if (status === 'done') this.state.total = this.results.length
    this.state.error = error
    this.state.status = status
    this.emit(true)
  }

  private add(batch: PhotoResult[]): void {
    const index = (name: string | undefined): number =>
      name === undefined ? -1 : this.o.classes.indexOf(name)
    for (const r of batch) {
      const at = this.results.length
      if (r.pixels && this.pixelsFd !== undefined) {
        writeSync(this.pixelsFd, r.pixels, 0, IMAGE_PIXELS, at * IMAGE_PIXELS)
      }
      const stored: StoredPhoto = {
        file: r.file,
        status: r.status,
        predicted: r.status === 'ok' ? index(r.class) : null,
        confidence: r.confidence ?? null,
        lowConfidence: r.lowConfidence ?? false,
        top3: (r.top3 ?? []).map((t) => ({
          classIndex: index(t.class),
          probability: t.probability
        })),
        reason: r.reason ?? null,
        corrected: null,
        sortedTo: null
      }
      this.results.push(stored)
      this.count(stored, 1)
    }
  }

  /** The group a result is listed in: skipped, review (low confidence, uncorrected) or a class. */
  groupOf(r: StoredPhoto): PhotoGroup {
    if (r.status === 'skipped') return 'skipped'
    if (r.corrected !== null) return r.corrected
    return r.lowConfidence ? 'review' : (r.predicted ?? 'review')
  }

  private count(r: StoredPhoto, delta: 1 | -1): void {
    const c: PhotoGroupCounts = this.state.counts
    const g = this.groupOf(r)
    if (g === 'skipped') c.skipped += delta
    else if (g === 'review') c.review += delta
    else if (typeof g === 'number') c.classes[g] = (c.classes[g] ?? 0) + delta
    if (r.corrected !== null) c.corrected += delta
  }

  private emit(force: boolean): void {
    const now = performance.now()
    if (!force && now - this.lastEmit < EMIT_EVERY_MS) return
    this.lastEmit = now
    const seconds = (now - this.started) / 1000
    this.state.seconds = seconds
    this.state.photosPerSecond = this.state.processed / Math.max(seconds, 1e-3)
    this.o.onChange(this.state)
  }

  page(group: PhotoGroup, offset: number, limit: number): PhotoPage {
    const items: PhotoItem[] = []
    let total = 0
    this.results.forEach((r, i) => {
      if (group !== 'all' && this.groupOf(r) !== group) return
      if (total >= offset && items.length < limit) items.push(this.item(i))
      total++
    })
    const counts = this.state.counts
    return { total, offset, items, counts: { ...counts, classes: [...counts.classes] } }
  }

  item(index: number): PhotoItem {
    const r = this.results[index]!
    return {
      index,
      file: r.file,
      status: r.status,
      predicted: r.predicted,
      confidence: r.confidence,
      lowConfidence: r.lowConfidence,
      top3: r.top3,
      corrected: r.corrected,
      reason: r.reason,
      pixels: r.status === 'ok' ? bytesToBase64(this.pixelsOf(index)) : null,
      sortedTo: r.sortedTo
    }
  }

  private pixelsOf(index: number): Uint8Array {
    const out = new Uint8Array(IMAGE_PIXELS)
    const fd = this.pixelsFd ?? openSync(join(this.o.dir, 'pixels.bin'), 'r')
    try {
      readSync(fd, out, 0, IMAGE_PIXELS, index * IMAGE_PIXELS)
    } finally {
      if (fd !== this.pixelsFd) closeSync(fd)
    }
    return out
  }

  /** Records the user's class for a photo (null takes it back), durably before returning. */
  async setClass(index: number, classIndex: number | null): Promise<PhotoItem> {
    const r = this.results[index]!
    const entry = { at: new Date().toISOString(), index, file: r.file, class: classIndex }
    const fh = await open(join(this.o.dir, 'corrections.jsonl'), 'a')
    try {
      await fh.appendFile(JSON.stringify(entry) + '\n')
      await fh.sync()
    } finally {
      await fh.close()
    }
    this.count(r, -1)
    // Confirming a low-confidence photo's own class is a correction (it leaves the review group);
    // giving a sure photo its own class again is none.
    r.corrected = classIndex === r.predicted && !r.lowConfidence ? null : classIndex
    this.count(r, 1)
    this.emit(true)
    return this.item(index)
  }

  /** Closes the pixels file (after the run has ended). */
  close(): void {
    if (this.pixelsFd === undefined) return
    closeSync(this.pixelsFd)
    this.pixelsFd = undefined
  }
}
