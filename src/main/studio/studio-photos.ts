// The studio's "Photos" view on the main side: runs over folders of product photos (photo-run.ts),
// small thumbnails of single photos on demand (never the photos themselves in bulk), and the
// exports: the CLI's CSV with a `corrected` column, and sort-into with the existing sorter (copy,
// never overwrite), corrections applied.
import { randomUUID } from 'node:crypto'
import { mkdir, rename, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import sharp from 'sharp'
import type {
  PhotoCsvExport,
  PhotoGroup,
  PhotoItem,
  PhotoPage,
  PhotoRunState,
  PhotoSortResult,
  PhotoThumbnail
} from '@shared/studio-api'
import { csvField, csvLine } from '../engine/photos/csv'
import { DEFAULT_PIXEL_LIMIT, readPhotoFile } from '../engine/photos/preprocess'
import { CSV_COLUMNS, resultToCsv } from '../engine/photos/results'
import { classFolderName, PhotoSorter, REVIEW_FOLDER } from '../engine/photos/sort-into'
import { readModelDir } from '../engine/models/model-dir'
import type { TrainingHost } from '../engine/worker/host'
import { PhotoRun, type StoredPhoto } from './photo-run'

/** Longest edge of a thumbnail, in pixels (shown at 96 CSS px, sharp enough on 1x screens). */
export const THUMBNAIL_SIZE = 96
/** Thumbnails kept in memory (a few pages' worth, about 3 KB each). */
const THUMBNAIL_CACHE = 600

export interface StudioPhotosOptions {
  host: TrainingHost
  workspace: string
  onChange(state: PhotoRunState): void
  /** The error type the carriers answer with "bad request" (the service's StudioArgsError). */
  argsError(message: string): Error
}

export class StudioPhotos {
  private readonly runs = new Map<string, PhotoRun>()
  private latest: PhotoRun | undefined
  private readonly thumbCache = new Map<string, string | null>()

  constructor(private readonly o: StudioPhotosOptions) {}

  get running(): boolean {
    return this.latest?.running ?? false
  }

  get state(): PhotoRunState | null {
    return this.latest?.state ?? null
  }

  async start(args: {
    folder: string
    modelId: string
    modelDir: string
    lowConfidence: number
  }): Promise<PhotoRunState> {
    if (this.running) {
      throw this.o.argsError('a folder is already being classified: wait for it or cancel it')
    }
    const folder = resolve(args.folder)
    const info = await stat(folder).catch(() => undefined)
    if (!info?.isDirectory()) throw this.o.argsError(`${args.folder}: not a folder`)
    const model = await readModelDir(args.modelDir)
    const runId = randomUUID()
    const run = await PhotoRun.start({
      host: this.o.host,
      runId,
      dir: join(this.o.workspace, 'photo-runs', runId),
      folder,
      modelId: args.modelId,
      classes: model.metadata.classes,
      artifacts: model.artifacts,
      lowConfidence: args.lowConfidence,
      exclude: [this.o.workspace],
      onChange: (s) => this.o.onChange(s)
    })
    this.runs.set(runId, run)
    this.latest = run
    return run.state
  }

  cancel(runId: string): PhotoRunState {
    const run = this.run(runId)
    run.cancel()
    return run.state
  }

  page(runId: string, group: PhotoGroup, offset: number, limit: number): PhotoPage {
    const run = this.run(runId)
    if (typeof group === 'number' && group >= run.state.classes.length) {
      throw this.o.argsError(`class ${group} is not one of the model's classes`)
    }
    return run.page(group, offset, limit)
  }

  async setClass(runId: string, index: number, classIndex: number | null): Promise<PhotoItem> {
    const run = this.run(runId)
    const r = run.results[index]
    if (!r) throw this.o.argsError(`photo ${index} is not in run ${runId}`)
    if (r.status !== 'ok')
      throw this.o.argsError(`${r.file} was skipped: it has no class to correct`)
    if (classIndex !== null && classIndex >= run.state.classes.length) {
      throw this.o.argsError(`class ${classIndex} is not one of the model's classes`)
    }
    return run.setClass(index, classIndex)
  }

  /** Small WebP thumbnails (longest edge 96 px) of a few photos; null for one that cannot be read. */
  async thumbnails(runId: string, indices: number[]): Promise<PhotoThumbnail[]> {
    const run = this.run(runId)
    const out: PhotoThumbnail[] = []
    // A few at a time: libvips decodes on the thread pool, and the window waits for the page.
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < indices.length) {
        const index = indices[next++]!
        out.push({ index, url: await this.thumbnail(run, index) })
      }
    }
    await Promise.all(Array.from({ length: 4 }, worker))
    return out.sort((a, b) => indices.indexOf(a.index) - indices.indexOf(b.index))
  }

  private async thumbnail(run: PhotoRun, index: number): Promise<string | null> {
    const key = `${run.state.runId}:${index}`
    const cached = this.thumbCache.get(key)
    if (cached !== undefined) return cached
    const r = run.results[index]
    if (!r) throw this.o.argsError(`photo ${index} is not in run ${run.state.runId}`)
    // Skipped files have nothing to show (and may be anything: a FIFO, a huge file).
    const url = r.status === 'ok' ? await this.makeThumbnail(join(run.state.folder, r.file)) : null
    this.thumbCache.set(key, url)
    if (this.thumbCache.size > THUMBNAIL_CACHE) {
      this.thumbCache.delete(this.thumbCache.keys().next().value!)
    }
    return url
  }

  private async makeThumbnail(path: string): Promise<string | null> {
    try {
      // readPhotoFile: regular files only, bounded size (a FIFO named .jpg never blocks us).
      const bytes = await readPhotoFile(path)
      const webp = await sharp(bytes, { limitInputPixels: DEFAULT_PIXEL_LIMIT })
        .rotate()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .webp({ quality: 70 })
        .toBuffer()
      return `data:image/webp;base64,${webp.toString('base64')}`
    } catch {
      return null // a photo gone or changed since the run
    }
  }

  /** The CLI's CSV plus `corrected` (the user's class, empty when none). */
  async exportCsv(runId: string, out: string | undefined): Promise<PhotoCsvExport> {
    const run = this.run(runId)
    const { classes } = run.state
    let text = csvLine([...CSV_COLUMNS, 'corrected'])
    let corrected = 0
    for (const r of run.results) {
      const line = resultToCsv(toPhotoResult(r, classes))
      if (r.corrected !== null) corrected++
      text += `${line.slice(0, -1)},${csvField(r.corrected === null ? '' : classes[r.corrected]!)}\n`
    }
    let path: string
    if (out) {
      path = resolve(out)
      await writeFile(path, text, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw this.o.argsError(`${out} already exists: choose another`)
        throw err
      })
    } else {
      // The studio's own file: exporting the run again replaces it (written aside, then renamed).
      path = join(
        this.o.workspace,
        'exports',
        `photos-${basename(run.state.folder)}-${runId.slice(0, 8)}.csv`
      )
      await mkdir(dirname(path), { recursive: true })
      await writeFile(`${path}.partial`, text)
      await rename(`${path}.partial`, path)
    }
    return { path, rows: run.results.length, corrected }
  }

  /** Copies each classified photo into dest/<class>/ (corrections applied; _review/ if unsure). */
  async sortInto(runId: string, dest: string): Promise<PhotoSortResult> {
    const run = this.run(runId)
    if (run.running) throw this.o.argsError('the run is still going: wait for it or cancel it')
    const root = resolve(dest)
    if (root === run.state.folder) {
      throw this.o.argsError('sort into another folder than the photo folder itself')
    }
    const sorter = new PhotoSorter(root, 'copy')
    const result: PhotoSortResult = { dest: root, placed: 0, review: 0, failed: 0, errors: [] }
    const todo = run.results.filter((r) => r.status === 'ok')
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const r = todo[next++]!
        const className = r.corrected ?? (r.lowConfidence ? null : r.predicted)
        const folder =
          className === null ? REVIEW_FOLDER : classFolderName(run.state.classes[className]!)
        try {
          r.sortedTo = await sorter.place(join(run.state.folder, r.file), folder)
          result.placed++
          if (className === null) result.review++
        } catch (err) {
          result.failed++
          if (result.errors.length < 10) result.errors.push(`${r.file}: ${(err as Error).message}`)
        }
      }
    }
    // File-system bound: a few copies at once.
    await Promise.all(Array.from({ length: 8 }, worker))
    return result
  }

  async close(): Promise<void> {
    for (const run of this.runs.values()) {
      run.cancel()
      await run.finished
      run.close()
    }
  }

  private run(runId: string): PhotoRun {
    const run = this.runs.get(runId)
    if (!run) throw this.o.argsError(`no photo run ${runId}`)
    return run
  }
}

function toPhotoResult(r: StoredPhoto, classes: string[]) {
  const name = (i: number | null): string | undefined => (i === null ? undefined : classes[i])
  return {
    file: r.file,
    status: r.status,
    class: name(r.predicted),
    confidence: r.confidence ?? undefined,
    lowConfidence: r.status === 'ok' ? r.lowConfidence : undefined,
    top3: r.top3.map((t) => ({ class: name(t.classIndex) ?? '', probability: t.probability })),
    reason: r.reason ?? undefined,
    sortedTo: r.sortedTo ?? undefined
  }
}
