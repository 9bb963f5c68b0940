// A training run from start to finish, shared by the command line, the Electron app and the HTTP
// server: load the data, train in the worker, evaluate on the test set, write the model directory.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { CLASS_NAMES, IMAGE_PIXELS } from '@shared/classes'
import { formatClassificationReport } from '@shared/metrics'
import type { EpochLogs, TrainConfig } from '@shared/training'
import { writeConfusionPng } from './charts/confusion-heatmap'
import { writeTrainingCurvesPng } from './charts/training-curves'
import { loadFashionMnist, type FashionMnist, type Split } from './data/fashion-mnist'
import { evaluateArtifacts, type Evaluation } from './evaluation/evaluate'
import type { ModelMetadata } from './models/metadata'
import { CheckpointWriter } from './models/checkpoint'
import { MODEL_FILES, writeDurably, writeModelDir } from './models/model-dir'
import type { BackendInfo, ModelArtifacts, TrainResult } from './worker/protocol'
import type { BatchProgress, TrainingHost } from './worker/host'

export interface ExperimentOptions {
  host: TrainingHost
  config: TrainConfig
  dataDir: string
  /** The dataset already in memory (the studio keeps it loaded); read from dataDir otherwise. */
  data?: FashionMnist
  /** Folder that receives the new model directory (a unique name is chosen inside it)… */
  modelsDir: string
  /** …unless an exact output directory is given. */
  outDir?: string
  /** Evaluate the test set after every epoch too (EpochLogs.test_accuracy; benchmarks). */
  trackTest?: boolean
  /** Train on the first N training images only (quick runs and tests). */
  trainLimit?: number
  /** An explicit training set (fine-tuning), instead of the dataset's training split. */
  train?: Split
  /** Weights to start from (a flat vector in DenseNetwork order): a fine-tune. */
  initialWeights?: Float32Array
  /** The model this one was fine-tuned from (recorded in its metadata). */
  parent?: string
  /**
   * Produces the model instead of one training job in the worker (ensembles: several jobs, or
   * existing models combined). Progress hooks and cancel are then the producer's business.
   */
  produce?(data: FashionMnist): Promise<TrainResult>
  /** Recorded in the metadata of an ensemble: its members. */
  members?: ModelMetadata['members']
  /** Written as the metadata's preset (default: the config's). */
  presetLabel?: string
  /** Start of the new model's id (default: the preset's name). */
  idPrefix?: string
  /** Writes more files into the model's temporary folder, after evaluation, before it is published. */
  extraFiles?(
    tmpDir: string,
    trained: { id: string; artifacts: ModelArtifacts; evaluation: Evaluation }
  ): Promise<void>
  onStage?(stage: 'loading-data' | 'training' | 'evaluating' | 'saving', detail?: string): void
  onBatch?(p: BatchProgress): void
  /** `numTensors`: live tensors in the worker after the epoch (a leak shows as growth). */
  onEpoch?(logs: EpochLogs, numTensors: number): void
  /** The best epoch so far as a model (presets with early stopping). */
  onCheckpoint?(epoch: number, artifacts: ModelArtifacts): void
  /** A run that did not finish left its best epoch's model (tfjs files) in this folder. */
  onCheckpointKept?(dir: string): void
  /** Receives the job's cancel function as soon as training starts. */
  onCancelReady?(cancel: () => void): void
}

export interface ExperimentResult {
  modelDir: string
  metadata: ModelMetadata
  evaluation: Evaluation
  history: EpochLogs[]
  backend: BackendInfo
}

/** Trains, evaluates and saves one model; rejects with TrainingCancelledError if cancelled. */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  o.onStage?.('loading-data', o.dataDir)
  const data = o.data ?? (await loadFashionMnist(o.dataDir))
  const train = o.train ?? limitSplit(data.train, o.trainLimit)
  const backend = await o.host.backend()
  o.onStage?.('training')
  const checkpoint =
    o.config.earlyStoppingPatience > 0 && !o.produce
      ? new CheckpointWriter(
          join(
            o.modelsDir,
            '.checkpoints',
            `${o.config.preset}-${Date.now()}-${randomBytes(2).toString('hex')}`
          )
        )
      : undefined
  let trained: TrainResult
  try {
    trained = o.produce
      ? await o.produce(data)
      : await trainOne(
          {
            ...o,
            onCheckpoint: (epoch, artifacts) => {
              checkpoint?.save(epoch, artifacts)
              o.onCheckpoint?.(epoch, artifacts)
            }
          },
          data
        )
  } catch (err) {
    if (checkpoint && (await checkpoint.hasCheckpoint())) {
      o.onCheckpointKept?.(join(checkpoint.dir, 'best'))
    }
    throw err
  }
  await checkpoint?.remove()
  o.onStage?.('evaluating')
  const evaluation = await evaluateArtifacts(
    o.host,
    trained.artifacts,
    data.test.images,
    data.test.labels
  )
  const createdAt = new Date()
  const id = `${o.idPrefix ?? o.presetLabel ?? o.config.preset}-${createdAt.toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`
  const modelDir = o.outDir ?? join(o.modelsDir, id)
  const validationCount = train.count - Math.floor(train.count * (1 - o.config.validationSplit))
  const last = trained.history[trained.history.length - 1]
  const metadata: ModelMetadata = {
    format: 'fashion-studio-model',
    formatVersion: 1,
    id,
    createdAt: createdAt.toISOString(),
    preset: o.presetLabel ?? o.config.preset,
    config: o.config,
    ...(o.members && { members: o.members }),
    classes: [...CLASS_NAMES],
    input: {
      shape: [IMAGE_PIXELS],
      scaling: 'uint8 pixel / 255 (0..1), 28x28 row-major, light garment on black'
    },
    backend: { name: backend.name, native: backend.native, tfjsVersion: backend.tfjsVersion },
    dataset: {
      name: 'fashion-mnist',
      dir: o.dataDir,
      trainCount: train.count - validationCount,
      validationCount,
      testCount: data.test.count
    },
    timings: {
      trainSeconds: trained.trainSeconds,
      secondsPerEpoch: mean(trained.history.map((h) => h.seconds)),
      predictTestSeconds: evaluation.predictSeconds
    },
    metrics: {
      testAccuracy: evaluation.report.accuracy,
      macroF1: evaluation.report.macroAvg.f1,
      valAccuracy: last?.val_accuracy ?? NaN
    },
    parent: o.parent ?? null
  }
  o.onStage?.('saving', modelDir)
  await writeModelDir(
    modelDir,
    {
      artifacts: trained.artifacts,
      metadata,
      history: trained.history,
      evaluation: { report: evaluation.report, confusion: evaluation.confusion }
    },
    async (tmp) => {
      // Per-image test probabilities, so the studio's drill-down needs no new prediction.
      await writeDurably(
        join(tmp, MODEL_FILES.testProbabilities),
        new Uint8Array(evaluation.probabilities.buffer)
      )
      await writeDurably(
        join(tmp, MODEL_FILES.report),
        formatClassificationReport(evaluation.report) + '\n'
      )
      await writeTrainingCurvesPng(
        trained.history,
        join(tmp, MODEL_FILES.curves),
        `${id}: training curves`
      )
      await writeConfusionPng(
        evaluation.confusion,
        CLASS_NAMES,
        join(tmp, MODEL_FILES.confusion),
        `${id}: test set confusion matrix`
      )
      await o.extraFiles?.(tmp, { id, artifacts: trained.artifacts, evaluation })
    }
  )
  return { modelDir, metadata, evaluation, history: trained.history, backend }
}

/** One training job in the worker, from the options' config (and initial weights). */
async function trainOne(o: ExperimentOptions, data: FashionMnist): Promise<TrainResult> {
  const train = o.train ?? limitSplit(data.train, o.trainLimit)
  const job = o.host.train(
    o.config,
    train.images,
    train.labels,
    { onBatch: o.onBatch, onEpoch: o.onEpoch, onCheckpoint: o.onCheckpoint },
    {
      initialWeights: o.initialWeights,
      ...(o.trackTest && { test: { images: data.test.images, labels: data.test.labels } })
    }
  )
  o.onCancelReady?.(job.cancel)
  return job.result
}

export function limitSplit(
  split: FashionMnist['train'],
  limit: number | undefined
): FashionMnist['train'] {
  if (!limit || limit >= split.count) return split
  return {
    images: split.images.subarray(0, limit * IMAGE_PIXELS),
    labels: split.labels.subarray(0, limit),
    count: limit
  }
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN
}
