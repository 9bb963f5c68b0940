// Evaluation of a model on labelled images: predictions from the worker, metrics in plain TypeScript.
import { CLASS_NAMES, NUM_CLASSES } from '@shared/classes'
import { classificationReport, confusionMatrix, type ClassificationReport } from '@shared/metrics'
import type { ModelArtifacts } from '../worker/protocol'
import type { PredictOptions, TrainingHost } from '../worker/host'

export interface Evaluation {
  report: ClassificationReport
  confusion: number[][]
  /** Predicted class per image. */
  predicted: Uint8Array
  probabilities: Float32Array
  predictSeconds: number
}

/** Predicts every image and compares with the labels. */
export async function evaluateArtifacts(
  host: TrainingHost,
  artifacts: ModelArtifacts,
  images: Uint8Array,
  labels: Uint8Array,
  options: PredictOptions = {}
): Promise<Evaluation> {
  const t0 = performance.now()
  const probabilities = await host.predict(artifacts, images, options)
  const predictSeconds = (performance.now() - t0) / 1000
  const predicted = argmaxRows(probabilities, NUM_CLASSES)
  const confusion = confusionMatrix(labels, predicted, NUM_CLASSES)
  return {
    report: classificationReport(confusion, CLASS_NAMES),
    confusion,
    predicted,
    probabilities,
    predictSeconds
  }
}

/** Index of the largest value in each row of a row-major matrix. */
export function argmaxRows(values: Float32Array, columns: number): Uint8Array {
  const rows = values.length / columns
  const out = new Uint8Array(rows)
  for (let r = 0; r < rows; r++) {
    let best = 0
    for (let c = 1; c < columns; c++)
      if (values[r * columns + c]! > values[r * columns + best]!) best = c
    out[r] = best
  }
  return out
}
