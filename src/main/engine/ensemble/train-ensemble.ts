// Training an ensemble: the same preset N times with seeds seed, seed+1, ... (different
// initialisations, shuffles, dropout masks and augmentations), one member after another in the
// worker, combined into one model that averages their probabilities.
import type { EpochLogs, TrainConfig } from '@shared/training'
import type { Split } from '../data/fashion-mnist'
import type { BatchProgress, TrainingHost } from '../worker/host'
import type { TrainResult } from '../worker/protocol'
import { ensembleArtifacts } from './ensemble-model'

export interface EnsembleTrainOptions {
  host: TrainingHost
  config: TrainConfig
  members: number
  train: Split
  test?: { images: Uint8Array; labels: Uint8Array }
  onMember?(index: number, count: number): void
  onBatch?(p: BatchProgress): void
  /** `numTensors`: live tensors in the worker after the epoch (a leak shows as growth). */
  onEpoch?(logs: EpochLogs, numTensors: number): void
  onCancelReady?(cancel: () => void): void
}

/** Trains the members in turn; the history is theirs end to end, epochs numbered on. */
export async function trainEnsemble(
  o: EnsembleTrainOptions
): Promise<TrainResult & { memberHistories: EpochLogs[][] }> {
  const results: TrainResult[] = []
  for (let k = 0; k < o.members; k++) {
    o.onMember?.(k, o.members)
    const job = o.host.train(
      { ...o.config, seed: o.config.seed + k },
      o.train.images,
      o.train.labels,
      { onBatch: o.onBatch, onEpoch: o.onEpoch },
      o.test ? { test: o.test } : {}
    )
    o.onCancelReady?.(job.cancel)
    results.push(await job.result)
  }
  const memberHistories = results.map((r) => r.history)
  return {
    artifacts: ensembleArtifacts(results.map((r) => r.artifacts)),
    history: concatHistories(memberHistories),
    trainSeconds: results.reduce((n, r) => n + r.trainSeconds, 0),
    memberHistories
  }
}

/** Member histories one after another, epochs renumbered 1..total (for the curves chart). */
export function concatHistories(histories: EpochLogs[][]): EpochLogs[] {
  let epoch = 0
  return histories.flatMap((h) => h.map((logs) => ({ ...logs, epoch: ++epoch })))
}
