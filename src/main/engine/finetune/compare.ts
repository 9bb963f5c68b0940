// Before/after numbers of a fine-tune, pure: test accuracy on the corrected test labels (excluded
// images left out) and on the files' own labels, per-class F1, and accuracy on the corrected images
// against their new labels.
import { CLASS_NAMES, NUM_CLASSES } from '@shared/classes'
import { classificationReport, confusionMatrix } from '@shared/metrics'
import type { FinetuneMetrics } from '@shared/studio-api'
import { argmaxRows } from '../evaluation/evaluate'

export interface TestLabels {
  /** The test files' labels. */
  original: Uint8Array
  /** With corrections applied. */
  corrected: Uint8Array
  /** Test images left out (marked excluded). */
  excluded: ReadonlySet<number>
}

/**
 * `testProbs`: count x 10 probabilities of the model on the test split; `correctedProbs` and
 * `correctedLabels`: the corrected images (both splits) and their new labels.
 */
export function finetuneMetrics(
  testProbs: Float32Array,
  test: TestLabels,
  correctedProbs: Float32Array,
  correctedLabels: Uint8Array
): FinetuneMetrics {
  const predicted = argmaxRows(testProbs, NUM_CLASSES)
  let hitsOriginal = 0
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === test.original[i]) hitsOriginal++
  const kept: number[] = []
  for (let i = 0; i < predicted.length; i++) if (!test.excluded.has(i)) kept.push(i)
  const report = classificationReport(
    confusionMatrix(
      kept.map((i) => test.corrected[i]!),
      kept.map((i) => predicted[i]!),
      NUM_CLASSES
    ),
    CLASS_NAMES
  )
  const onCorrected = argmaxRows(correctedProbs, NUM_CLASSES)
  let hits = 0
  for (let i = 0; i < onCorrected.length; i++) if (onCorrected[i] === correctedLabels[i]) hits++
  return {
    testAccuracy: report.accuracy,
    testAccuracyOriginal: hitsOriginal / predicted.length,
    macroF1: report.macroAvg.f1,
    f1: report.classes.map((c) => c.f1),
    corrected: {
      count: correctedLabels.length,
      accuracy: correctedLabels.length ? hits / correctedLabels.length : null
    }
  }
}
