// Builders for the renderer store tests: engine answers shaped like the real ones, small.
import type { ModelSummary, TrainingState } from '@shared/studio-api'
import { SEED_PRESET, type EpochLogs } from '@shared/training'

export function trainingState(patch: Partial<TrainingState> = {}): TrainingState {
  return {
    jobId: 'job-1',
    status: 'training',
    config: { ...SEED_PRESET, epochs: 3 },
    datasetId: 'fashion-mnist',
    backend: { name: 'tensorflow', native: true, tfjsVersion: '4.22.0' },
    startedAt: '2026-01-01T10:00:00.000Z',
    epochs: [],
    batch: null,
    batchPoints: [],
    secondsLeft: null,
    modelId: null,
    error: null,
    ...patch
  }
}

export function epochLogs(epoch: number): EpochLogs {
  return {
    epoch,
    loss: 1 / epoch,
    accuracy: 0.7 + epoch / 100,
    val_loss: 1.1 / epoch,
    val_accuracy: 0.69 + epoch / 100,
    seconds: 1
  }
}

export function modelSummary(id: string, createdAt: string): ModelSummary {
  return {
    id,
    createdAt,
    preset: 'seed',
    config: SEED_PRESET,
    backend: { name: 'tensorflow', native: true, tfjsVersion: '4.22.0' },
    metrics: { testAccuracy: 0.88, macroF1: 0.879, valAccuracy: 0.885 },
    timings: { trainSeconds: 20, secondsPerEpoch: 1.3 },
    parent: null
  }
}

/** A promise with its resolve exposed, to deliver an answer after another one. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
