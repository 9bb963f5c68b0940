// Datasets imported from labelled folders: <workspace>/datasets/<name>/ with the images and labels
// as IDX files (Fashion-MNIST's t10k names, so the same reader loads them) and a manifest.json that
// says where each image came from. An imported dataset has one split, 'test': all of it is for
// evaluating, and corrections to it are journalled as 'test' images like Fashion-MNIST's.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { IMAGE_SIZE, NUM_CLASSES } from '@shared/classes'
import { FASHION_MNIST_FILES, type FashionMnist, type Split } from '../data/fashion-mnist'
import { DatasetError, parseIdxImages, parseIdxLabels, readIdxGz } from '../data/idx'
import { FASHION_MNIST_DATASET } from '../labels/label-store'

export const MANIFEST_FILE = 'manifest.json'
export const IMPORTED_FILES = {
  images: FASHION_MNIST_FILES.testImages,
  labels: FASHION_MNIST_FILES.testLabels,
  manifest: MANIFEST_FILE
} as const

/** Names that are also folder and journal names: nothing that could leave the datasets folder. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export class DatasetNameError extends Error {
  override name = 'DatasetNameError'
}

/** Throws a DatasetNameError saying what is wrong with `name` as a dataset name. */
export function checkDatasetName(name: string): void {
  if (!NAME.test(name)) {
    throw new DatasetNameError(
      `invalid dataset name "${name}": use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`
    )
  }
  if (name.toLowerCase() === FASHION_MNIST_DATASET) {
    throw new DatasetNameError(
      `"${name}" is reserved for Fashion-MNIST itself; choose another name`
    )
  }
}

export function datasetsDir(workspace: string): string {
  return join(workspace, 'datasets')
}

export function importedDatasetDir(workspace: string, name: string): string {
  checkDatasetName(name)
  return join(datasetsDir(workspace), name)
}

const SkippedSchema = z.object({ file: z.string(), code: z.string(), reason: z.string() })
export const ManifestSchema = z.object({
  format: z.literal('fashion-studio-dataset'),
  formatVersion: z.literal(1),
  name: z.string(),
  createdAt: z.string(),
  /** The labelled folder it was imported from. */
  source: z.string(),
  classes: z.array(z.string()).length(NUM_CLASSES),
  /** Each class subfolder: the class it was mapped to (null: skipped on purpose). */
  folders: z.array(
    z.object({
      folder: z.string(),
      label: z.number().int().min(0).max(9).nullable(),
      images: z.number().int().min(0),
      skipped: z.number().int().min(0)
    })
  ),
  /** Images per class, indexed by label. */
  counts: z.array(z.number().int().min(0)).length(NUM_CLASSES),
  count: z.number().int().min(1),
  /** The source file of each image, relative to `source`, in index order. */
  files: z.array(z.string()),
  /** Files that could not be imported, and why. */
  skipped: z.array(SkippedSchema)
})
export type DatasetManifest = z.infer<typeof ManifestSchema>
export type SkippedFile = z.infer<typeof SkippedSchema>

export interface ImportedDataset {
  name: string
  dir: string
  manifest: DatasetManifest
  /** Fashion-MNIST's shape, so every tool reads it alike: no training images, all in `test`. */
  data: FashionMnist
}

export const EMPTY_SPLIT: Split = { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 }

export async function readManifest(dir: string): Promise<DatasetManifest> {
  const file = join(dir, MANIFEST_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new DatasetError(
      file,
      code === 'ENOENT' ? 'not an imported dataset (no manifest.json)' : (err as Error).message,
      { cause: err }
    )
  }
  let parsed
  try {
    parsed = ManifestSchema.safeParse(JSON.parse(text))
  } catch {
    throw new DatasetError(file, 'is not valid JSON (the file is damaged)')
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new DatasetError(
      file,
      `is not a dataset manifest: ${issue?.path.join('.') || '(file)'} ${issue?.message ?? ''}`
    )
  }
  return parsed.data
}

/** Loads an imported dataset, checking its files agree with each other. */
export async function loadImportedDataset(
  workspace: string,
  name: string
): Promise<ImportedDataset> {
  const dir = importedDatasetDir(workspace, name)
  if (!existsSync(dir)) {
    throw new DatasetError(
      dir,
      `no dataset named "${name}" (\`fashion-studio data list\` shows them)`
    )
  }
  const manifest = await readManifest(dir)
  const imagesFile = join(dir, IMPORTED_FILES.images)
  const labelsFile = join(dir, IMPORTED_FILES.labels)
  const [imageBytes, labelBytes] = await Promise.all([readIdxGz(imagesFile), readIdxGz(labelsFile)])
  const { count, rows, cols, pixels } = parseIdxImages(imageBytes, imagesFile)
  if (rows !== IMAGE_SIZE || cols !== IMAGE_SIZE)
    throw new DatasetError(imagesFile, `images are ${rows}x${cols}, expected 28x28`)
  const labels = parseIdxLabels(labelBytes, labelsFile)
  if (labels.length !== count || manifest.files.length !== count) {
    throw new DatasetError(
      dir,
      `${count} images, ${labels.length} labels and ${manifest.files.length} files in the manifest: the dataset is damaged`
    )
  }
  const bad = labels.findIndex((l) => l >= NUM_CLASSES)
  if (bad !== -1)
    throw new DatasetError(labelsFile, `label ${labels[bad]} at index ${bad} out of range`)
  return {
    name,
    dir,
    manifest,
    data: { dir, train: EMPTY_SPLIT, test: { images: pixels, labels, count } }
  }
}

/** The imported datasets in the workspace (half-written ones, hidden, are not listed). */
export async function listImportedDatasets(
  workspace: string
): Promise<
  { name: string; dir: string; manifest: DatasetManifest | null; error: string | null }[]
> {
  const root = datasetsDir(workspace)
  const names = await readdir(root).catch(() => [] as string[])
  const out = []
  for (const name of names.sort()) {
    if (!NAME.test(name) || name.toLowerCase() === FASHION_MNIST_DATASET) continue
    const dir = join(root, name)
    // Only folders an import wrote (other folders there, e.g. a dataset copy, are not ours).
    if (!existsSync(join(dir, MANIFEST_FILE))) continue
    try {
      out.push({ name, dir, manifest: await readManifest(dir), error: null })
    } catch (err) {
      // A folder someone put there by hand: listed with why it cannot be used, not hidden.
      out.push({ name, dir, manifest: null, error: (err as Error).message })
    }
  }
  return out
}
