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
import type { ClassificationReport } from './metrics'
import { TrainConfigSchema, type EpochLogs, type TrainConfig } from './training'

const classIndex = z.number().int().min(0).max(9)
const id = z.string().min(1).max(200)

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
    .object({ modelId: id, port: z.number().int().min(0).max(65535).optional() })
    .strict(),
  'serving:stop': z.object({}).strict(),
  'serving:get-state': z.object({}).strict()
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
  /** Images per class, indexed by label. */
  counts: { train: number[]; test: number[] }
}

/** One 28x28 image: `pixels` is the 784 grey values (0..255, row-major), base64-encoded. */
export interface ImageItem {
  index: number
  label: number
  pixels: string
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
}

export interface ModelDetail {
  summary: ModelSummary
  classes: string[]
  history: EpochLogs[]
  report: ClassificationReport
  /** Rows: true class; columns: predicted class. */
  confusion: number[][]
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
}

/** Result type of each call. */
export interface StudioCallResults {
  'app:get-info': AppInfo
  'datasets:list': DatasetSummary[]
  'datasets:get-images': ImagePage
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
}

/** Events from main to renderer. */
export interface StudioEvents {
  'training:state': TrainingState
}
export type StudioEvent = keyof StudioEvents
export const STUDIO_EVENTS: StudioEvent[] = ['training:state']

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
