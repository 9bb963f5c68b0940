// Likely label errors in the training split: k-fold cross-validated probabilities (each image
// scored by a model that never trained on it: the seed network trained in the worker on the other
// folds), then confident learning (confident-learning.ts). The labels judged are the corrected ones,
// excluded images left out. The result is cached in the workspace, beside the journal, for the
// studio's review queue and the command line.
import { mkdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import { SEED_PRESET, type TrainConfig } from '@shared/training'
import type { FashionMnist } from '../data/fashion-mnist'
import { writeDurably } from '../models/model-dir'
import { mulberry32, shuffledIndices } from '../training/random'
import { TrainingCancelledError, type TrainingHost } from '../worker/host'
import { findLabelIssues, type LabelIssue } from './confident-learning'
import { datasetFingerprint, labelsDir, type LabelStore } from './label-store'

export interface SuggestionsProgress {
  /** 1-based fold being trained; folds + 1 while ranking. */
  fold: number
  folds: number
  epoch: number
  epochs: number
  batch: number
  batches: number
}

export interface SuggestionsOptions {
  host: TrainingHost
  data: FashionMnist
  labels: LabelStore
  folds: number
  epochs: number
  /** Only the first N training images (quick runs, tests). */
  trainLimit?: number
  seed?: number
  onProgress?(p: SuggestionsProgress): void
  /** Receives a function that cancels the whole run (the fold in training stops within a batch). */
  onCancelReady?(cancel: () => void): void
}

export interface StoredIssue extends LabelIssue {
  probabilities: number[]
}

/** The cached result: <workspace>/labels/<dataset>.suggestions.json */
export interface SuggestionsFile {
  format: 'fashion-studio-label-suggestions'
  formatVersion: 1
  computedAt: string
  dataset: string
  fingerprint: string
  /** The journal's last seq when the labels were read. */
  journalSeq: number
  folds: number
  epochs: number
  trainCount: number
  seed: number
  seconds: number
  thresholds: number[]
  joint: number[][]
  estimatedErrors: number
  /** Most likely wrong first (lowest self-confidence). */
  issues: StoredIssue[]
}

export function suggestionsFile(workspace: string, datasetId = 'fashion-mnist'): string {
  return join(labelsDir(workspace), `${datasetId}.suggestions.json`)
}

export async function computeSuggestions(o: SuggestionsOptions): Promise<SuggestionsFile> {
  const started = performance.now()
  await o.labels.refresh()
  const journalSeq = o.labels.corrections.entries.length
  const { labels: corrected, marks } = o.labels.corrections.correctedLabels('train')
  const count = Math.min(o.trainLimit ?? o.data.train.count, o.data.train.count)
  const excluded = new Set(
    [...marks].filter(([i, m]) => m === 'excluded' && i < count).map(([i]) => i)
  )
  const seed = o.seed ?? 0
  const folds = assignFolds(corrected.subarray(0, count), o.folds, seed, excluded)
  const config: TrainConfig = { ...SEED_PRESET, epochs: o.epochs, validationSplit: 0, seed }
  const probs = new Float32Array(count * NUM_CLASSES)
  let cancelled = false
  let cancelFold: (() => void) | undefined
  o.onCancelReady?.(() => {
    cancelled = true
    cancelFold?.()
  })
  for (let f = 0; f < o.folds; f++) {
    if (cancelled) throw new TrainingCancelledError()
    const held = folds[f]!
    const trainIdx = folds.flatMap((idx, g) => (g === f ? [] : idx))
    const set = gather(o.data.train.images, corrected, trainIdx)
    const job = o.host.train(config, set.images, set.labels, {
      onBatch: (p) => o.onProgress?.({ fold: f + 1, folds: o.folds, epochs: o.epochs, ...p })
    })
    cancelFold = job.cancel
    if (cancelled) job.cancel()
    const { artifacts } = await job.result
    const out = await o.host.predict(artifacts, gather(o.data.train.images, corrected, held).images)
    held.forEach((i, k) =>
      probs.set(out.subarray(k * NUM_CLASSES, (k + 1) * NUM_CLASSES), i * NUM_CLASSES)
    )
  }
  o.onProgress?.({
    fold: o.folds + 1,
    folds: o.folds,
    epoch: o.epochs,
    epochs: o.epochs,
    batch: 0,
    batches: 0
  })
  const result = findLabelIssues(
    probs,
    corrected.subarray(0, count),
    NUM_CLASSES,
    'self_confidence',
    excluded
  )
  return {
    format: 'fashion-studio-label-suggestions',
    formatVersion: 1,
    computedAt: new Date().toISOString(),
    dataset: 'fashion-mnist',
    fingerprint: datasetFingerprint(o.data),
    journalSeq,
    folds: o.folds,
    epochs: o.epochs,
    trainCount: count,
    seed,
    seconds: (performance.now() - started) / 1000,
    thresholds: result.thresholds,
    joint: result.joint,
    estimatedErrors: result.estimatedErrors,
    issues: result.issues.map((issue) => ({
      ...issue,
      probabilities: Array.from(
        probs.subarray(issue.index * NUM_CLASSES, (issue.index + 1) * NUM_CLASSES),
        (p) => Math.round(p * 1e5) / 1e5
      )
    }))
  }
}

/**
 * Stratified folds: the images of each class shuffled (seeded) and dealt out in turn, so every fold
 * has about the same class balance. Excluded images are in none.
 */
export function assignFolds(
  labels: Uint8Array,
  folds: number,
  seed: number,
  excluded: ReadonlySet<number> = new Set()
): number[][] {
  const out = Array.from({ length: folds }, () => [] as number[])
  const random = mulberry32(seed + 7)
  let next = 0
  for (let c = 0; c < NUM_CLASSES; c++) {
    const members: number[] = []
    labels.forEach((l, i) => l === c && !excluded.has(i) && members.push(i))
    for (const k of shuffledIndices(members.length, random)) out[next++ % folds]!.push(members[k]!)
  }
  return out.map((f) => f.sort((a, b) => a - b))
}

export async function saveSuggestions(workspace: string, s: SuggestionsFile): Promise<string> {
  const file = suggestionsFile(workspace, s.dataset)
  await mkdir(labelsDir(workspace), { recursive: true })
  // Written aside and renamed: a reader never sees half a file.
  const tmp = `${file}.tmp-${process.pid}`
  await writeDurably(tmp, JSON.stringify(s))
  await rename(tmp, file)
  return file
}

/** The cached suggestions for these dataset files; null when there are none (or for other files). */
export async function loadSuggestions(
  workspace: string,
  data: FashionMnist
): Promise<SuggestionsFile | null> {
  const text = await readFile(suggestionsFile(workspace), 'utf8').catch(() => null)
  if (!text) return null
  try {
    const s = JSON.parse(text) as SuggestionsFile
    if (
      s.format !== 'fashion-studio-label-suggestions' ||
      s.fingerprint !== datasetFingerprint(data)
    )
      return null
    return s
  } catch {
    return null
  }
}

function gather(
  images: Uint8Array,
  labels: Uint8Array,
  indices: number[]
): { images: Uint8Array; labels: Uint8Array } {
  const out = new Uint8Array(indices.length * IMAGE_PIXELS)
  const outLabels = new Uint8Array(indices.length)
  indices.forEach((i, k) => {
    out.set(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), k * IMAGE_PIXELS)
    outLabels[k] = labels[i]!
  })
  return { images: out, labels: outLabels }
}
