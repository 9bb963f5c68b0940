// Importing a labelled folder (one subfolder per class: "tees/", "jeans/", "Ankle boots/", ...) as a
// dataset: every photo goes through the same preprocessing as `classify` (preprocessPhoto) into the
// 28x28 Fashion-MNIST domain, and the result is written as an imported dataset (imported-dataset.ts).
// The dataset is written to a hidden temporary folder and renamed into place: a failed, cancelled or
// killed import leaves nothing under the dataset's name, and an existing dataset is never replaced.
// Files that cannot be imported are skipped and listed in the manifest with the reason.
import { randomBytes } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { join, resolve } from 'node:path'
import { CLASS_NAMES, IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from '../data/idx'
import { writeDurably } from '../models/model-dir'
import { PhotoError } from '../photos/errors'
import { preprocessPhoto } from '../photos/preprocess'
import { countCandidates, scanPhotos } from '../photos/scan'
import { classForFolderName } from './class-names'
import {
  checkDatasetName,
  datasetsDir,
  importedDatasetDir,
  IMPORTED_FILES,
  type DatasetManifest,
  type SkippedFile
} from './imported-dataset'

/** A problem with the import as a whole (bad folder, unmapped subfolders, name taken, no images). */
export class ImportError extends Error {
  override name = 'ImportError'
}

/** What a mapping says about one subfolder: a class (0..9) or 'skip' (left out on purpose). */
export type FolderChoice = number | 'skip'

export interface ClassFolder {
  /** The subfolder's name, as on disk. */
  folder: string
  /** Photo candidates inside it (recursively). */
  images: number
  /** The class its name suggests (synonyms), or null when unknown. */
  suggested: number | null
}

export interface LabelledFolderScan {
  folder: string
  folders: ClassFolder[]
  /** Photo files directly in the folder, outside any class subfolder: not imported. */
  looseFiles: number
}

/** The class subfolders of a labelled folder, with their photo counts and suggested classes. */
export async function scanLabelledFolder(folder: string): Promise<LabelledFolderScan> {
  const root = resolve(folder)
  let entries: Dirent[]
  try {
    const info = await stat(root)
    if (!info.isDirectory()) throw new ImportError(`${root} is not a folder`)
    entries = await readdir(root, { withFileTypes: true })
  } catch (err) {
    if (err instanceof ImportError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new ImportError(
      code === 'ENOENT' ? `${root}: folder not found` : `${root}: cannot read folder (${code})`
    )
  }
  const folders: ClassFolder[] = []
  let looseFiles = 0
  // As people read a folder listing: "bags" before "Jackets" (ties by code point, so stable).
  const order = (a: Dirent, b: Dirent): number =>
    a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  for (const entry of entries.sort(order)) {
    if (entry.name.startsWith('.')) continue
    const path = join(root, entry.name)
    const isDir =
      entry.isDirectory() ||
      (entry.isSymbolicLink() &&
        (await stat(path).then(
          (s) => s.isDirectory(),
          () => false
        )))
    if (isDir) {
      folders.push({
        folder: entry.name,
        images: await countCandidates(path),
        suggested: classForFolderName(entry.name)
      })
    } else looseFiles++
  }
  return { folder: root, folders, looseFiles }
}

export interface ImportProgress {
  done: number
  total: number
  /** The file just processed, relative to the labelled folder. */
  file: string
  skipped: number
}

export interface ImportOptions {
  workspace: string
  folder: string
  name: string
  /**
   * Subfolder name -> class or 'skip'. Overrides what the folder names suggest; names are matched
   * exactly first, then case-insensitively.
   */
  mapping?: Record<string, FolderChoice>
  onProgress?(p: ImportProgress): void
  signal?: AbortSignal
  /** Photos preprocessed at once. */
  concurrency?: number
}

export interface ImportResult {
  dir: string
  manifest: DatasetManifest
}

/** The class (or skip) of every subfolder; throws an ImportError naming every unmapped one. */
export function resolveMapping(
  folders: ClassFolder[],
  mapping: Record<string, FolderChoice> = {}
): Map<string, FolderChoice> {
  const lower = new Map(Object.entries(mapping).map(([k, v]) => [k.toLowerCase(), v]))
  const known = new Set(folders.map((f) => f.folder.toLowerCase()))
  const strays = Object.keys(mapping).filter((k) => !known.has(k.toLowerCase()))
  if (strays.length > 0) {
    throw new ImportError(
      `the mapping names folders that do not exist: ${strays.map((s) => `"${s}"`).join(', ')} (subfolders: ${folders.map((f) => `"${f.folder}"`).join(', ')})`
    )
  }
  const out = new Map<string, FolderChoice>()
  const unmapped: string[] = []
  for (const f of folders) {
    const choice = mapping[f.folder] ?? lower.get(f.folder.toLowerCase()) ?? f.suggested
    if (choice === null || choice === undefined) unmapped.push(f.folder)
    else out.set(f.folder, choice)
  }
  if (unmapped.length > 0) {
    throw new ImportError(
      `no class for the subfolder${unmapped.length > 1 ? 's' : ''} ${unmapped.map((u) => `"${u}"`).join(', ')}: map ${unmapped.length > 1 ? 'each' : 'it'} to one of ${CLASS_NAMES.join(', ')} (e.g. --map "${unmapped[0]}=Shirt") or leave ${unmapped.length > 1 ? 'them' : 'it'} out (--skip-folder "${unmapped[0]}")`
    )
  }
  return out
}

export async function importLabelledFolder(o: ImportOptions): Promise<ImportResult> {
  checkDatasetName(o.name)
  const dest = importedDatasetDir(o.workspace, o.name)
  if (existsSync(dest)) {
    throw new ImportError(
      `a dataset named "${o.name}" already exists (${dest}); choose another name`
    )
  }
  const scan = await scanLabelledFolder(o.folder)
  if (scan.folders.length === 0) {
    throw new ImportError(
      `${scan.folder} has no subfolders: a labelled folder has one subfolder per class (e.g. tees/, jeans/, sneakers/)`
    )
  }
  const choices = resolveMapping(scan.folders, o.mapping)
  const used = scan.folders.filter((f) => choices.get(f.folder) !== 'skip')
  const total = used.reduce((n, f) => n + f.images, 0)
  if (total === 0) {
    throw new ImportError(
      `no photos in the ${used.length ? 'class subfolders' : 'folders left after skipping'} of ${scan.folder}`
    )
  }

  // Results land by slot, so the order is the scan's whatever order the photos finish in.
  const pixels: (Uint8Array | null)[] = []
  const sources: { file: string; label: number }[] = []
  const skipped: (SkippedFile & { slot: number })[] = []
  const perFolder = new Map<string, { images: number; skipped: number }>()
  let done = 0
  let fatal: unknown
  const concurrency = o.concurrency ?? 4
  const running = new Set<Promise<void>>()
  for (const f of used) {
    const label = choices.get(f.folder) as number
    const stats = { images: 0, skipped: 0 }
    perFolder.set(f.folder, stats)
    for await (const entry of scanPhotos(join(scan.folder, f.folder))) {
      if (o.signal?.aborted) throw new ImportError('import cancelled: no dataset was written')
      if (entry.kind === 'ignored') continue
      const file = `${f.folder}/${entry.rel}`
      const slot = pixels.length
      pixels.push(null)
      sources.push({ file, label })
      const finish = (error: PhotoError | null): void => {
        if (error) {
          stats.skipped++
          skipped.push({ slot, file, code: error.code, reason: error.message })
        } else stats.images++
        o.onProgress?.({ done: ++done, total, file, skipped: skipped.length })
      }
      if (entry.kind === 'skip') {
        finish(entry.error)
        continue
      }
      const job = preprocessPhoto(entry.path).then(
        (photo) => {
          pixels[slot] = photo.pixels
          finish(null)
        },
        (err: unknown) => {
          // Anything but a bad photo (out of memory, a bug) stops the import, once all have settled.
          if (err instanceof PhotoError) finish(err)
          else fatal ??= err
        }
      )
      const tracked: Promise<void> = job.finally(() => running.delete(tracked))
      running.add(tracked)
      if (running.size >= concurrency) await Promise.race(running)
      if (fatal) break
    }
    if (fatal) break
  }
  await Promise.all(running)
  if (fatal) throw fatal
  if (o.signal?.aborted) throw new ImportError('import cancelled: no dataset was written')

  const kept = pixels.flatMap((p, slot) => (p ? [slot] : []))
  if (kept.length === 0) {
    throw new ImportError(
      `none of the ${total} files could be imported (first problem: ${skipped[0]?.file}: ${skipped[0]?.reason})`
    )
  }
  const images = new Uint8Array(kept.length * IMAGE_PIXELS)
  const labels = new Uint8Array(kept.length)
  const counts = new Array<number>(NUM_CLASSES).fill(0)
  kept.forEach((slot, i) => {
    images.set(pixels[slot]!, i * IMAGE_PIXELS)
    labels[i] = sources[slot]!.label
    counts[labels[i]!]!++
  })
  const manifest: DatasetManifest = {
    format: 'fashion-studio-dataset',
    formatVersion: 1,
    name: o.name,
    createdAt: new Date().toISOString(),
    source: scan.folder,
    classes: [...CLASS_NAMES],
    folders: scan.folders.map((f) => {
      const choice = choices.get(f.folder)
      const s = perFolder.get(f.folder) ?? { images: 0, skipped: 0 }
      return { folder: f.folder, label: choice === 'skip' ? null : choice!, ...s }
    }),
    counts,
    count: kept.length,
    files: kept.map((slot) => sources[slot]!.file),
    skipped: skipped
      .sort((a, b) => a.slot - b.slot)
      .map(({ file, code, reason }) => ({ file, code, reason }))
  }
  await publish(o.workspace, dest, async (tmp) => {
    const gz = (magic: number, dims: number[], data: Uint8Array): Uint8Array =>
      gzipSync(encodeIdx(magic, dims, data))
    await writeDurably(
      join(tmp, IMPORTED_FILES.images),
      gz(IDX_IMAGES_MAGIC, [kept.length, 28, 28], images)
    )
    await writeDurably(
      join(tmp, IMPORTED_FILES.labels),
      gz(IDX_LABELS_MAGIC, [kept.length], labels)
    )
    await writeDurably(join(tmp, IMPORTED_FILES.manifest), JSON.stringify(manifest, null, 2))
    if (o.signal?.aborted) throw new ImportError('import cancelled: no dataset was written')
  })
  return { dir: dest, manifest }
}

/** Writes into a hidden temporary folder beside `dest`, then renames it into place. */
async function publish(
  workspace: string,
  dest: string,
  write: (tmp: string) => Promise<void>
): Promise<void> {
  const root = datasetsDir(workspace)
  await mkdir(root, { recursive: true })
  await removeStalePartials(root)
  const tmp = join(root, `.${randomBytes(4).toString('hex')}.partial`)
  await mkdir(tmp)
  try {
    await write(tmp)
    // rename() onto an existing empty folder would succeed: check again right before.
    if (existsSync(dest)) throw new ImportError(`a dataset named "${dest}" appeared meanwhile`)
    await rename(tmp, dest)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
}

/** A killed import's hidden temporary folder, left a day ago: no import runs that long. */
const STALE_MS = 24 * 3600 * 1000

async function removeStalePartials(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!/^\.[0-9a-f]{8}\.partial$/.test(name)) continue
    const path = join(root, name)
    const info = await stat(path).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > STALE_MS)
      await rm(path, { recursive: true, force: true })
  }
}
