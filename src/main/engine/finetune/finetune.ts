// Fine-tuning a model on the corrected labels: start from the parent's weights, train a few epochs on
// the corrected training images (repeated, so a handful of them count) together with a replay sample
// of the other training images (so the model does not forget what it knew), excluded images left out,
// and save the result as a NEW model whose metadata names its parent. The parent is only read.
// The before/after comparison (finetune.json in the new model) judges both models on the labels as
// corrected now.
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import type { FinetuneComparison } from '@shared/studio-api'
import type { TrainConfig } from '@shared/training'
import { loadFashionMnist, type FashionMnist, type Split } from '../data/fashion-mnist'
import { runExperiment, type ExperimentOptions, type ExperimentResult } from '../experiment'
import type { LabelStore } from '../labels/label-store'
import { MODEL_FILES, readModelDir, writeDurably } from '../models/model-dir'
import { argmaxRows } from '../evaluation/evaluate'
import { initialWeightsFromArtifacts } from '../training/flat-weights'
import { mulberry32, shuffledIndices } from '../training/random'
import type { DatasetSource } from '../datasets/dataset-source'
import { finetuneMetrics, type TestLabels } from './compare'

export const FINETUNE_FILE = 'finetune.json'

export interface FinetuneOptions extends Pick<
  ExperimentOptions,
  'host' | 'modelsDir' | 'outDir' | 'onStage' | 'onBatch' | 'onEpoch' | 'onCancelReady'
> {
  parentDir: string
  dataDir: string
  data?: FashionMnist
  labels: LabelStore
  epochs: number
  /** Share (0..1) of the uncorrected training images replayed. */
  replay: number
  /** Default: half the parent's. */
  learningRate?: number
  /** Times each corrected image appears per epoch (default 5). */
  correctedRepeat?: number
  seed?: number
  /**
   * An imported dataset to fine-tune on: all its images (labels as corrected, excluded left out)
   * are trained on like corrected images, `correctedRepeat` times, with the replay of Fashion-MNIST.
   */
  dataset?: { source: DatasetSource; labels: LabelStore }
}

export interface FinetuneResult extends ExperimentResult {
  comparison: FinetuneComparison
}

export async function runFinetune(o: FinetuneOptions): Promise<FinetuneResult> {
  o.onStage?.('loading-data', o.dataDir)
  const parent = await readModelDir(o.parentDir)
  const parentId = basename(o.parentDir)
  if (parent.metadata.members) {
    throw new Error(
      `${parentId} is an ensemble of ${parent.metadata.members.length} models; fine-tune its members, then combine them again with \`fashion-studio ensemble\``
    )
  }
  const initialWeights = initialWeightsFromArtifacts(parent.artifacts, parent.metadata.config)
  const data = o.data ?? (await loadFashionMnist(o.dataDir))
  await o.labels.refresh()
  const c = o.labels.corrections
  const journalSeq = c.entries.length
  const train = c.correctedLabels('train')
  const test = c.correctedLabels('test')
  const excluded = (marks: Map<number, string>): Set<number> =>
    new Set([...marks].filter(([, m]) => m === 'excluded').map(([i]) => i))
  const excludedTrain = excluded(train.marks)
  const testLabels: TestLabels = {
    original: data.test.labels,
    corrected: test.labels,
    excluded: excluded(test.marks)
  }
  const relabelled = (split: Split, labels: Uint8Array, out: ReadonlySet<number>): number[] => {
    const list: number[] = []
    for (let i = 0; i < split.count; i++)
      if (labels[i] !== split.labels[i] && !out.has(i)) list.push(i)
    return list
  }
  const correctedTrain = relabelled(data.train, train.labels, excludedTrain)
  const correctedTest = relabelled(data.test, test.labels, testLabels.excluded)

  const repeat = o.correctedRepeat ?? 5
  const seed = o.seed ?? parent.metadata.config.seed
  // With an imported dataset, its images join the training split after Fashion-MNIST's, all of
  // them "corrected" (repeated, never in the replay or the validation share).
  const focus = o.dataset ? await datasetImages(o.dataset) : null
  const pool = focus
    ? {
        split: gather([
          { split: data.train, labels: data.train.labels, indices: range(data.train.count) },
          { split: focus.split, labels: focus.split.labels, indices: focus.kept }
        ]),
        labels: concat(
          train.labels,
          Uint8Array.from(focus.kept, (i) => focus.split.labels[i]!)
        ),
        corrected: [...correctedTrain, ...focus.kept.map((_, k) => data.train.count + k)]
      }
    : { split: data.train, labels: train.labels, corrected: correctedTrain }
  const set = assembleTrainingSet(pool.split, pool.labels, pool.corrected, excludedTrain, {
    replay: o.replay,
    repeat,
    seed
  })
  if (set.split.count === 0) {
    throw new Error(
      'nothing to train on: there are no corrected training images and the replay share is 0'
    )
  }
  const config: TrainConfig = {
    ...parent.metadata.config,
    epochs: o.epochs,
    learningRate: o.learningRate ?? parent.metadata.config.learningRate / 2,
    // Exactly the replay images put last are held out (half an image below: floor() in the loop).
    validationSplit: set.validation > 0 ? (set.validation - 0.5) / set.split.count : 0,
    seed
  }

  // The corrected images of both splits, for "accuracy on the corrected images".
  const corrected = gather([
    { split: data.train, labels: train.labels, indices: correctedTrain },
    { split: data.test, labels: test.labels, indices: correctedTest }
  ])
  // Still preparing as far as the run's stages go: a run's status never moves backwards (the
  // studio drops older states), so the parent's evaluation must not be reported as 'evaluating'.
  o.onStage?.('loading-data', 'evaluating the parent on the test images')
  const parentTest = await testProbabilities(o, data, parent.artifacts)
  const predictCorrected = async (a: typeof parent.artifacts): Promise<Float32Array> =>
    corrected.count ? o.host.predict(a, corrected.images) : new Float32Array(0)
  const before = finetuneMetrics(
    parentTest,
    testLabels,
    await predictCorrected(parent.artifacts),
    corrected.labels
  )
  const onDataset = async (a: typeof parent.artifacts): Promise<number | null> => {
    if (!focus || focus.kept.length === 0) return null
    const probs = await o.host.predict(a, focus.split.images)
    const predicted = argmaxRows(probs, NUM_CLASSES)
    const hits = focus.kept.filter((i) => predicted[i] === focus.split.labels[i]).length
    return hits / focus.kept.length
  }
  const datasetBefore = await onDataset(parent.artifacts)

  let comparison: FinetuneComparison | undefined
  const result = await runExperiment({
    host: o.host,
    config,
    dataDir: o.dataDir,
    data,
    train: set.split,
    initialWeights,
    parent: parentId,
    idPrefix: 'finetune',
    modelsDir: o.modelsDir,
    outDir: o.outDir,
    onStage: (stage, detail) => o.onStage?.(stage, detail),
    onBatch: o.onBatch,
    onEpoch: o.onEpoch,
    onCancelReady: o.onCancelReady,
    extraFiles: async (tmp, trained) => {
      const after = finetuneMetrics(
        trained.evaluation.probabilities,
        testLabels,
        await predictCorrected(trained.artifacts),
        corrected.labels
      )
      comparison = {
        parent: parentId,
        epochs: o.epochs,
        replay: o.replay,
        learningRate: config.learningRate,
        correctedRepeat: repeat,
        trainImages: set.split.count,
        correctedTrain: correctedTrain.length,
        correctedTest: correctedTest.length,
        excluded: excludedTrain.size + testLabels.excluded.size,
        journalSeq,
        before,
        after,
        ...(focus && {
          dataset: {
            id: focus.id,
            images: focus.kept.length,
            accuracyBefore: datasetBefore,
            accuracyAfter: await onDataset(trained.artifacts)
          }
        })
      }
      await writeDurably(join(tmp, FINETUNE_FILE), JSON.stringify(comparison, null, 2))
    }
  })
  return { ...result, comparison: comparison! }
}

/**
 * The fine-tuning set: the corrected images `repeat` times plus a seeded replay sample of the rest,
 * shuffled, then a tenth of the replay sample (never a corrected image) last, held out for
 * validation.
 */
export function assembleTrainingSet(
  split: Split,
  labels: Uint8Array,
  corrected: number[],
  excluded: ReadonlySet<number>,
  o: { replay: number; repeat: number; seed: number }
): { split: Split; validation: number } {
  const isCorrected = new Set(corrected)
  const rest: number[] = []
  for (let i = 0; i < split.count; i++) if (!isCorrected.has(i) && !excluded.has(i)) rest.push(i)
  const random = mulberry32(o.seed + 1)
  const order = shuffledIndices(rest.length, random)
  const replay = Array.from(order.subarray(0, Math.round(o.replay * rest.length)), (k) => rest[k]!)
  const validation = Math.min(6000, Math.floor(replay.length / 10))
  const fit = [...replay.slice(0, replay.length - validation)]
  for (let r = 0; r < o.repeat; r++) fit.push(...corrected)
  const shuffled = shuffledIndices(fit.length, random)
  const indices = [
    ...Array.from(shuffled, (k) => fit[k]!),
    ...replay.slice(replay.length - validation)
  ]
  return { split: gather([{ split, labels, indices }]), validation }
}

/** The imported dataset's images with their labels as corrected, and those not excluded. */
async function datasetImages(d: {
  source: DatasetSource
  labels: LabelStore
}): Promise<{ id: string; split: Split; kept: number[] }> {
  await d.labels.refresh()
  const { labels, marks } = d.labels.corrections.correctedLabels('test')
  const split = { ...d.source.data.test, labels }
  const kept = range(split.count).filter((i) => marks.get(i) !== 'excluded')
  if (kept.length === 0) throw new Error(`dataset ${d.source.id}: every image is excluded`)
  return { id: d.source.id, split, kept }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function gather(parts: { split: Split; labels: Uint8Array; indices: number[] }[]): Split {
  const count = parts.reduce((n, p) => n + p.indices.length, 0)
  const images = new Uint8Array(count * IMAGE_PIXELS)
  const labels = new Uint8Array(count)
  let k = 0
  for (const p of parts) {
    for (const i of p.indices) {
      images.set(
        p.split.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS),
        k * IMAGE_PIXELS
      )
      labels[k++] = p.labels[i]!
    }
  }
  return { images, labels, count }
}

/** The parent's test probabilities: saved with it, or predicted. */
async function testProbabilities(
  o: FinetuneOptions,
  data: FashionMnist,
  artifacts: Parameters<FinetuneOptions['host']['predict']>[0]
): Promise<Float32Array> {
  const saved = await readFile(join(o.parentDir, MODEL_FILES.testProbabilities)).catch(() => null)
  if (saved && saved.length === data.test.count * NUM_CLASSES * 4) {
    return new Float32Array(saved.buffer.slice(saved.byteOffset, saved.byteOffset + saved.length))
  }
  return o.host.predict(artifacts, data.test.images)
}
