// Evaluating a model on an imported dataset: every image, against its labels as corrected now
// (a relabelled photo counts with its new class; an excluded one is left out), so fixing a
// mislabelled photo shows in the next evaluation.
import { CLASS_NAMES, NUM_CLASSES } from '@shared/classes'
import { classificationReport, confusionMatrix } from '@shared/metrics'
import { argmaxRows, type Evaluation } from '../evaluation/evaluate'
import type { LabelStore } from '../labels/label-store'
import type { ModelArtifacts } from '../worker/protocol'
import type { PredictOptions, TrainingHost } from '../worker/host'
import type { DatasetSource } from './dataset-source'

export interface DatasetEvaluation extends Evaluation {
  /** The labels judged against (corrected), per image of the split. */
  labels: Uint8Array
  /** Images left out (marked excluded). */
  excluded: number[]
}

export async function evaluateOnDataset(
  host: TrainingHost,
  artifacts: ModelArtifacts,
  source: DatasetSource,
  store?: LabelStore,
  options: PredictOptions = {}
): Promise<DatasetEvaluation> {
  const t0 = performance.now()
  const probabilities = await host.predict(artifacts, source.data.test.images, options)
  const predictSeconds = (performance.now() - t0) / 1000
  return { ...(await scoreDataset(probabilities, source, store)), predictSeconds }
}

/** The report and confusion matrix of known probabilities, against the labels as corrected now. */
export async function scoreDataset(
  probabilities: Float32Array,
  source: DatasetSource,
  store?: LabelStore
): Promise<Omit<DatasetEvaluation, 'predictSeconds'>> {
  const split = source.data.test
  let labels = split.labels
  const excluded: number[] = []
  if (store) {
    await store.refresh()
    const corrected = store.corrections.correctedLabels('test')
    labels = corrected.labels
    for (const [i, mark] of corrected.marks) if (mark === 'excluded') excluded.push(i)
  }
  const predicted = argmaxRows(probabilities, NUM_CLASSES)
  const out = new Set(excluded)
  const kept: number[] = []
  for (let i = 0; i < split.count; i++) if (!out.has(i)) kept.push(i)
  const confusion = confusionMatrix(
    kept.map((i) => labels[i]!),
    kept.map((i) => predicted[i]!),
    NUM_CLASSES
  )
  return {
    report: classificationReport(confusion, CLASS_NAMES),
    confusion,
    predicted,
    probabilities,
    labels,
    excluded: excluded.sort((a, b) => a - b)
  }
}

/** The images of one confusion-matrix cell, most confident first. */
export function cellIndices(
  e: Pick<DatasetEvaluation, 'labels' | 'predicted' | 'probabilities' | 'excluded'>,
  trueClass: number,
  predictedClass: number
): number[] {
  const out = new Set(e.excluded)
  const hits: number[] = []
  for (let i = 0; i < e.predicted.length; i++) {
    if (e.labels[i] === trueClass && e.predicted[i] === predictedClass && !out.has(i)) hits.push(i)
  }
  const p = (i: number): number => e.probabilities[i * NUM_CLASSES + predictedClass]!
  return hits.sort((a, b) => p(b) - p(a))
}
