// The studio's API: the single source of truth for what the renderer may ask of the main process
// (calls) and what the main process tells the renderer (events). Electron's IPC and the loopback
// HTTP bridge (browser mode) both carry exactly this contract.
//
// To add a call:
//   1. add its argument schema to `studioCallArgs` (zod: main validates every argument at runtime,
//      since the renderer is untrusted) and its result type to `StudioCallResults`;
//   2. implement it in src/main/studio/studio-service.ts (the switch there will not compile without);
//   3. call it from a Pinia store through `api.call('domain:verb-noun', args)`.
import { z } from 'zod'
import {
  MARKS,
  SET_REASONS,
  type CorrectionEntry,
  type CorrectionRow,
  type DatasetSplit,
  type LabelState,
  type Mark
} from './labels'
import type { ClassificationReport } from './metrics'
import { TrainConfigSchema, type EpochLogs, type TrainConfig } from './training'

const classIndex = z.number().int().min(0).max(9)
const id = z.string().min(1).max(200)
const split = z.enum(['train', 'test'])
const imageIndex = z.number().int().min(0).max(10_000_000)
const seq = z.number().int().min(1)
const labelState = z.object({ label: classIndex, mark: z.enum(MARKS).nullable() }).strict()
const historyFilter = {
  split: split.optional(),
  reason: z.enum(['manual', 'suggestion', 'undo', 'redo']).optional(),
  /** Entries from or to this class. */
  label: classIndex.optional(),
  /** Only corrections in force (no undone ones, no undo entries). */
  inForceOnly: z.boolean().optional()
}

const folderPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => /^([/\\]|[A-Za-z]:[/\\])/.test(p), { message: 'must be an absolute path' })
/** A name for a new model: its folder under <workspace>/models, so nothing that could leave it. */
const modelName = z
  .string()
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    "use letters, digits, '.', '_' and '-', starting with a letter or digit"
  )
const photoIndex = z.number().int().min(0).max(100_000_000)
/** A group of a photo run's results: a class (its index), the review group, or the skipped files. */
const photoGroup = z.union([z.number().int().min(0).max(999), z.enum(['review', 'skipped', 'all'])])

/** Argument schemas, one per channel (`domain:verb-noun`). */
export const studioCallArgs = {
  'app:get-info': z.object({}).strict(),
  'datasets:list': z.object({}).strict(),
  'datasets:get-images': z
    .object({
      datasetId: id,
      split: z.enum(['train', 'test']),
      /** Only images of this class; null for all. */
      label: classIndex.nullable(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(500)
    })
    .strict(),
  'datasets:get-image': z.object({ datasetId: id, split, index: imageIndex }).strict(),
  'labels:set': z
    .object({
      datasetId: id,
      split,
      index: imageIndex,
      /** A class (clears any mark) ... */
      label: classIndex.optional(),
      /** ... and/or a mark; null removes the mark. */
      mark: z.enum(MARKS).nullable().optional(),
      reason: z.enum(SET_REASONS).default('manual'),
      /** The label the caller saw: if the image changed since (another window), the call fails. */
      expected: labelState.optional()
    })
    .strict()
    .refine((a) => a.label !== undefined || a.mark !== undefined, {
      message: 'give a label, a mark, or both',
      path: ['label']
    }),
  'labels:undo': z.object({ datasetId: id, expectedSeq: seq.optional() }).strict(),
  'labels:redo': z.object({ datasetId: id, expectedSeq: seq.optional() }).strict(),
  'labels:status': z.object({ datasetId: id }).strict(),
  'labels:history': z
    .object({
      datasetId: id,
      ...historyFilter,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(500)
    })
    .strict(),
  'labels:export-csv': z
    .object({
      datasetId: id,
      ...historyFilter,
      /** Also write it into <workspace>/exports (the desktop app, whose window never downloads). */
      save: z.boolean().optional()
    })
    .strict(),
  'suggestions:start': z
    .object({
      datasetId: id,
      folds: z.number().int().min(2).max(10).default(5),
      epochs: z.number().int().min(1).max(30).default(4),
      /** Use only the first N training images (quick runs, tests). */
      trainLimit: z.number().int().min(100).max(60000).optional()
    })
    .strict(),
  'suggestions:cancel': z.object({}).strict(),
  'suggestions:get-state': z.object({}).strict(),
  'suggestions:get': z
    .object({
      datasetId: id,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(200)
    })
    .strict(),
  'finetune:start': z
    .object({
      modelId: id,
      epochs: z.number().int().min(1).max(50).default(3),
      /** Share of the uncorrected training images replayed alongside the corrected ones. */
      replay: z.number().min(0).max(1).default(1),
      learningRate: z.number().positive().max(1).optional(),
      /** Also train on every image of this imported dataset (labels as corrected). */
      datasetId: id.optional()
    })
    .strict(),
  'presets:list': z.object({}).strict(),
  'training:start': z.object({ datasetId: id, config: TrainConfigSchema }).strict(),
  'training:cancel': z.object({ jobId: id }).strict(),
  'training:get-state': z.object({}).strict(),
  'models:list': z.object({}).strict(),
  'models:get': z.object({ modelId: id }).strict(),
  'models:get-cell': z
    .object({ modelId: id, trueClass: classIndex, predictedClass: classIndex })
    .strict(),
  'serving:start': z
    .object({
      modelId: id,
      port: z.number().int().min(0).max(65535).optional(),
      /** Inference engine (default tfjs); onnx runs onnxruntime on the model's ONNX export. */
      engine: z.enum(['tfjs', 'onnx']).optional()
    })
    .strict(),
  'serving:stop': z.object({}).strict(),
  'serving:get-state': z.object({}).strict(),
  'models:export': z.object({ modelId: id, format: z.enum(['keras', 'onnx', 'tfjs']) }).strict(),
  /** Existing models combined into one averaging their probabilities, evaluated and saved. */
  'models:create-ensemble': z
    .object({
      modelIds: z
        .array(id)
        .min(2, 'choose at least 2 models')
        .max(20, 'choose at most 20 models')
        .refine((ids) => new Set(ids).size === ids.length, 'choose each model once'),
      /** The new model's name (its folder); a new one is made up when absent. */
      name: modelName.optional()
    })
    .strict(),
  /** The native folder dialog (desktop app only: the browser bridge has none, type the path). */
  'app:pick-folder': z.object({ title: z.string().max(200).optional() }).strict(),
  'photos:start': z
    .object({
      /** Absolute path of the folder of product photos (subfolders included). */
      folder: folderPath,
      modelId: id,
      /** Below this top-1 probability a photo goes to the review group. */
      lowConfidence: z.number().min(0).max(1).default(0.6)
    })
    .strict(),
  'photos:cancel': z.object({ runId: id }).strict(),
  'photos:get-state': z.object({}).strict(),
  'photos:get-results': z
    .object({
      runId: id,
      group: photoGroup,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(200)
    })
    .strict(),
  'photos:get-thumbnails': z
    .object({ runId: id, indices: z.array(photoIndex).min(1).max(100) })
    .strict(),
  'photos:set-class': z
    .object({
      runId: id,
      index: photoIndex,
      /** The class the user gives the photo; null takes the correction back. */
      classIndex: z.number().int().min(0).max(999).nullable()
    })
    .strict(),
  'photos:export-csv': z
    .object({
      runId: id,
      /** Where to write it (absolute; never overwritten); default <workspace>/exports. */
      out: folderPath.optional()
    })
    .strict(),
  'photos:sort-into': z.object({ runId: id, dest: folderPath }).strict(),
  /** A labelled folder's class subfolders, photo counts and suggested classes (nothing written). */
  'datasets:scan-folder': z.object({ folder: z.string().min(1).max(4096) }).strict(),
  /** Imports a labelled folder as a dataset in the background ('datasets:import-state' events). */
  'datasets:import-folder': z
    .object({
      folder: z.string().min(1).max(4096),
      name: z.string().min(1).max(64),
      /** Subfolder -> class, or 'skip'; subfolders not named keep their suggested class. */
      mapping: z.record(z.string(), z.union([classIndex, z.literal('skip')])).default({})
    })
    .strict(),
  'datasets:cancel-import': z.object({}).strict(),
  'datasets:get-import-state': z.object({}).strict(),
  /** A model on every image of an imported dataset (labels as corrected, excluded left out). */
  'datasets:evaluate': z.object({ datasetId: id, modelId: id }).strict(),
  /** The images of one cell of the last 'datasets:evaluate' of this model on this dataset. */
  'datasets:get-eval-cell': z
    .object({
      datasetId: id,
      modelId: id,
      trueClass: classIndex,
      predictedClass: classIndex
    })
    .strict()
} as const

export type StudioChannel = keyof typeof studioCallArgs
export type StudioCallArgs<C extends StudioChannel> = z.input<(typeof studioCallArgs)[C]>

export interface BackendSummary {
  name: string
  native: boolean
  tfjsVersion: string
  warning?: string
}

export interface AppInfo {
  version: string
  backend: BackendSummary
  workspace: string
  dataDir: string
}

export interface DatasetSummary {
  id: string
  name: string
  dir: string
  classes: string[]
  /** Images per class (corrected labels), indexed by label. */
  counts: { train: number[]; test: number[] }
  /** Images per class in the dataset's files, before corrections. */
  originalCounts: { train: number[]; test: number[] }
  labels: LabelsSummary
  /** Absent for Fashion-MNIST; 'imported' for a labelled folder imported as a dataset. */
  kind?: 'fashion-mnist' | 'imported'
  /** An imported dataset: the folder it came from, and the files that could not be imported. */
  imported?: { source: string; createdAt: string; skipped: SkippedImportFile[] }
}

export interface SkippedImportFile {
  file: string
  code: string
  reason: string
}

/** One class subfolder of a labelled folder. */
export interface ScannedClassFolder {
  folder: string
  images: number
  /** The class its name suggests (synonyms), null when not recognised. */
  suggested: number | null
}

export interface FolderScan {
  folder: string
  folders: ScannedClassFolder[]
  /** Photos directly in the folder, outside the class subfolders: not imported. */
  looseFiles: number
}

/** An import of a labelled folder (one at a time), sent whole on every change. */
export interface ImportState {
  jobId: string
  name: string
  folder: string
  status: JobStatus
  done: number
  total: number
  skipped: number
  error: string | null
  /** The new dataset's id, once done. */
  datasetId: string | null
}

/** A model evaluated on an imported dataset. */
export interface DatasetEvaluationResult {
  datasetId: string
  modelId: string
  /** Images judged (excluded ones left out). */
  count: number
  excluded: number
  report: ClassificationReport
  /** Rows: true class (as corrected); columns: predicted class. */
  confusion: number[][]
}

/** The label corrections of a dataset (its journal). */
export interface LabelsSummary {
  file: string
  entries: number
  relabelled: number
  ambiguous: number
  excluded: number
  canUndo: boolean
  canRedo: boolean
  /** The seq an undo (redo) would take back (put back). */
  undoSeq: number | null
  redoSeq: number | null
  /** Set when a torn last line (an interrupted write, never acknowledged) was cut away on opening. */
  recovered: string | null
  /** Set when the journal cannot be used (damaged, made for other files): corrections are off. */
  error: string | null
}

/** What a correction, undo or redo did, and the image as it is now. */
export interface LabelChangeResult {
  entry: CorrectionEntry
  split: DatasetSplit
  image: ImageItem
  status: LabelsSummary
}

export interface HistoryRow extends CorrectionRow {
  pixels: string
}

export interface HistoryPage {
  /** Rows matching the filter; the page is newest first. */
  total: number
  offset: number
  rows: HistoryRow[]
  status: LabelsSummary
}

export interface CsvExport {
  filename: string
  csv: string
  rows: number
  /** Where it was written, when asked to save it. */
  path: string | null
}

export type JobStatus = 'running' | 'done' | 'cancelled' | 'error'

/** The search for likely label errors (k-fold cross-validation, then confident learning). */
export interface SuggestionsState {
  jobId: string
  status: JobStatus
  folds: number
  epochs: number
  trainCount: number
  /** 1-based fold being trained (folds + 1 while ranking). */
  fold: number
  epoch: number
  batch: number
  batches: number
  startedAt: string
  secondsLeft: number | null
  error: string | null
  /** Likely label errors found (when done). */
  issues: number | null
}

/** A training image whose label looks wrong: out-of-sample probabilities disagree with it. */
export interface Suggestion {
  index: number
  pixels: string
  /** The label the models were trained and judged against. */
  given: number
  suggested: number
  /** Out-of-sample probability of the suggested class. */
  probability: number
  /** Out-of-sample probability of the given label (low: likely wrong). */
  selfConfidence: number
  probabilities: number[]
  /** The image's label now (it may have been corrected since). */
  current: LabelState
}

export interface SuggestionsMeta {
  computedAt: string
  folds: number
  epochs: number
  trainCount: number
  seconds: number
  issues: number
  /** Confident learning's estimate of how many labels are wrong (calibrated confident joint). */
  estimatedErrors: number
  /** Per-class thresholds: mean self-confidence of the images labelled with that class. */
  thresholds: number[]
  /** The journal's last seq when the labels were read (corrections since are not in the ranking). */
  journalSeq: number
}

export interface SuggestionPage {
  total: number
  offset: number
  items: Suggestion[]
  meta: SuggestionsMeta | null
}

/** Metrics of one model in a fine-tune comparison (labels as corrected, excluded images left out). */
export interface FinetuneMetrics {
  testAccuracy: number
  /** On the test files' own labels (comparable with every other model). */
  testAccuracyOriginal: number
  macroF1: number
  /** Per class, indexed by label. */
  f1: number[]
  /** The corrected images (both splits) judged against their new labels. */
  corrected: { count: number; accuracy: number | null }
}

export interface FinetuneComparison {
  parent: string
  epochs: number
  replay: number
  learningRate: number
  correctedRepeat: number
  trainImages: number
  correctedTrain: number
  correctedTest: number
  excluded: number
  /** The journal's last seq when the fine-tune started. */
  journalSeq: number
  before: FinetuneMetrics
  after: FinetuneMetrics
  /** A fine-tune on an imported dataset: accuracy on its images (trained on), before and after. */
  dataset?: {
    id: string
    images: number
    accuracyBefore: number | null
    accuracyAfter: number | null
  }
}

/**
 * One 28x28 image: `pixels` is the 784 grey values (0..255, row-major), base64-encoded. `label` is
 * its label now, corrections applied; `originalLabel` is set when a correction changed it.
 */
export interface ImageItem {
  index: number
  label: number
  pixels: string
  originalLabel?: number
  mark?: Mark
  /** An imported dataset's image: its source photo, relative to the imported folder. */
  file?: string
}

export interface ImagePage {
  total: number
  offset: number
  items: ImageItem[]
}

export interface PresetInfo {
  id: TrainConfig['preset']
  name: string
  description: string
  defaults: TrainConfig
}

export type TrainingStatus =
  'loading-data' | 'training' | 'evaluating' | 'saving' | 'done' | 'cancelled' | 'error'

export interface BatchState {
  epoch: number
  batch: number
  batches: number
  loss: number
  accuracy: number
}

/** Everything the Train view shows; sent whole on every change, so a late subscriber is current. */
export interface TrainingState {
  jobId: string
  /** A run from scratch, or a fine-tune of `parentModelId` on the corrected labels. */
  kind?: 'train' | 'finetune'
  parentModelId?: string | null
  status: TrainingStatus
  config: TrainConfig
  datasetId: string
  backend: BackendSummary
  startedAt: string
  /** Completed epochs. */
  epochs: EpochLogs[]
  /** Running means within the current epoch, for the live chart; null between epochs. */
  batch: BatchState | null
  /** Running training means during the run: [fractional epoch, loss, accuracy], for the live chart (thinned past 3,000). */
  batchPoints: [number, number, number][]
  /** Seconds left, estimated from the pace so far; null until known. */
  secondsLeft: number | null
  modelId: string | null
  error: string | null
}

export interface ModelSummary {
  id: string
  createdAt: string
  preset: string
  config: TrainConfig
  backend: BackendSummary
  metrics: { testAccuracy: number; macroF1: number; valAccuracy: number }
  timings: { trainSeconds: number; secondsPerEpoch: number }
  parent: string | null
  /** An ensemble's members (it averages their probabilities); absent for a single model. */
  members?: { id: string; preset: string; testAccuracy?: number }[]
}

export interface ModelDetail {
  summary: ModelSummary
  classes: string[]
  history: EpochLogs[]
  report: ClassificationReport
  /** Rows: true class; columns: predicted class. */
  confusion: number[][]
  /** For a fine-tuned model: it and its parent, before and after. */
  finetune: FinetuneComparison | null
}

export interface CellImage extends ImageItem {
  predicted: number
  /** Probability of the predicted class. */
  confidence: number
  /** All ten class probabilities. */
  probabilities: number[]
}

export interface CellImages {
  trueClass: number
  predictedClass: number
  /** Test images with this true and predicted class, most confident first. */
  items: CellImage[]
}

/** A model served over HTTP from the studio (TensorFlow Serving's REST API, on 127.0.0.1). */
export interface ServingState {
  modelId: string
  name: string
  url: string
  predictUrl: string
  imageUrl: string
  startedAt: string
  engine: 'tfjs' | 'onnx'
}

/** A model written for another tool: a .keras file, an .onnx file or a tfjs folder. */
export interface ExportedModel {
  format: 'keras' | 'onnx' | 'tfjs'
  path: string
  bytes: number
}

export type PhotoRunStatus = 'running' | 'done' | 'cancelled' | 'error'
export type PhotoGroup = z.infer<typeof photoGroup>

/** A folder of product photos being (or having been) classified; sent whole on every change. */
export interface PhotoRunState {
  runId: string
  status: PhotoRunStatus
  folder: string
  modelId: string
  classes: string[]
  lowConfidence: number
  /** Photo candidates in the folder; null while they are still being counted. */
  total: number | null
  /** Files done (classified or skipped). */
  processed: number
  skipped: number
  photosPerSecond: number
  startedAt: string
  seconds: number
  error: string | null
  /** Results per group (corrections applied): per class (by index), review, skipped. */
  counts: PhotoGroupCounts
}

export interface PhotoGroupCounts {
  classes: number[]
  review: number
  skipped: number
  corrected: number
}

/** One file of a run: a classified photo (with what the model saw) or a skipped file. */
export interface PhotoItem {
  /** Position in the run (scan order): with the run id, the key of the photo. */
  index: number
  /** Relative to the run's folder, '/' separators. */
  file: string
  status: 'ok' | 'skipped'
  /** The model's top class (index into the run's classes); null when skipped. */
  predicted: number | null
  confidence: number | null
  lowConfidence: boolean
  top3: { classIndex: number; probability: number }[]
  /** The user's class for it, when corrected. */
  corrected: number | null
  /** Why it was skipped. */
  reason: string | null
  /** The 28x28 image the model was given (base64, as ImageItem.pixels); null when skipped. */
  pixels: string | null
  /** Where sort-into copied it (relative to that folder). */
  sortedTo: string | null
}

export interface PhotoPage {
  total: number
  offset: number
  items: PhotoItem[]
  counts: PhotoGroupCounts
}

export interface PhotoThumbnail {
  index: number
  /** A small WebP of the photo (longest edge 96 px) as a data URL; null if it cannot be read now. */
  url: string | null
}

export interface PhotoCsvExport {
  path: string
  rows: number
  corrected: number
}

export interface PhotoSortResult {
  dest: string
  /** Photos copied (or already there, identical) per folder name. */
  placed: number
  review: number
  failed: number
  /** The first few failures, each naming the file. */
  errors: string[]
}

/** Result type of each call. */
export interface StudioCallResults {
  'app:get-info': AppInfo
  'datasets:list': DatasetSummary[]
  'datasets:get-images': ImagePage
  'datasets:get-image': ImageItem
  'labels:set': LabelChangeResult
  'labels:undo': LabelChangeResult | null
  'labels:redo': LabelChangeResult | null
  'labels:status': LabelsSummary
  'labels:history': HistoryPage
  'labels:export-csv': CsvExport
  'suggestions:start': SuggestionsState
  'suggestions:cancel': SuggestionsState | null
  'suggestions:get-state': SuggestionsState | null
  'suggestions:get': SuggestionPage
  'finetune:start': TrainingState
  'presets:list': PresetInfo[]
  'training:start': TrainingState
  'training:cancel': TrainingState | null
  'training:get-state': TrainingState | null
  'models:list': ModelSummary[]
  'models:get': ModelDetail
  'models:get-cell': CellImages
  'serving:start': ServingState
  'serving:stop': null
  'serving:get-state': ServingState | null
  'models:export': ExportedModel
  'models:create-ensemble': ModelSummary
  'app:pick-folder': string | null
  'photos:start': PhotoRunState
  'photos:cancel': PhotoRunState | null
  'photos:get-state': PhotoRunState | null
  'photos:get-results': PhotoPage
  'photos:get-thumbnails': PhotoThumbnail[]
  'photos:set-class': PhotoItem
  'photos:export-csv': PhotoCsvExport
  'photos:sort-into': PhotoSortResult
  'datasets:scan-folder': FolderScan
  'datasets:import-folder': ImportState
  'datasets:cancel-import': ImportState | null
  'datasets:get-import-state': ImportState | null
  'datasets:evaluate': DatasetEvaluationResult
  'datasets:get-eval-cell': CellImages
}

/** Events from main to renderer. */
export interface StudioEvents {
  'training:state': TrainingState
  'suggestions:state': SuggestionsState
  'photos:state': PhotoRunState
  'datasets:import-state': ImportState
}
export type StudioEvent = keyof StudioEvents
export const STUDIO_EVENTS: StudioEvent[] = [
  'training:state',
  'suggestions:state',
  'photos:state',
  'datasets:import-state'
]

/** What the renderer holds (window.api in Electron; the bridge client in a browser). */
export interface StudioApi {
  call<C extends StudioChannel>(channel: C, args: StudioCallArgs<C>): Promise<StudioCallResults[C]>
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends StudioEvent>(event: E, listener: (payload: StudioEvents[E]) => void): () => void
}

export const STUDIO_CHANNELS = Object.keys(studioCallArgs) as StudioChannel[]

/** True for a known channel name (the preload and the bridge refuse any other). */
export function isStudioChannel(name: unknown): name is StudioChannel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(studioCallArgs, name)
}

/** Error text for arguments that fail their schema: the channel, the field and the problem. */
export function describeArgsError(channel: string, error: z.ZodError): string {
  const issue = error.issues[0]
  const where = issue?.path.length ? issue.path.join('.') : 'arguments'
  return `${channel}: invalid ${where}: ${issue?.message ?? 'invalid'}`
}

/** Base64 of raw bytes, in both Node and the browser (for ImageItem.pixels). */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number)
  return btoa(s)
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}
