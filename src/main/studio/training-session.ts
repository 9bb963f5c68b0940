// One training run started from the studio: runs the shared experiment in the background and keeps
// a TrainingState that is sent whole to the renderer on every change, so a window that opens late
// (or reloads) is current at once.
import { basename } from 'node:path'
import type { BackendSummary, TrainingState } from '@shared/studio-api'
import type { TrainConfig } from '@shared/training'
import type { FashionMnist } from '../engine/data/fashion-mnist'
import { runExperiment, type ExperimentOptions } from '../engine/experiment'
import { TrainingCancelledError, type TrainingHost } from '../engine/worker/host'

/** The hooks a run reports through (those of runExperiment). */
export type RunHooks = Required<
  Pick<ExperimentOptions, 'onStage' | 'onCancelReady' | 'onBatch' | 'onEpoch'>
>

/** At most this many in-epoch points are kept for the live chart (the oldest are thinned out). */
const MAX_BATCH_POINTS = 3000

export interface SessionOptions {
  host: TrainingHost
  config: TrainConfig
  datasetId: string
  data: FashionMnist
  dataDir: string
  modelsDir: string
  backend: BackendSummary
  jobId: string
  onChange(state: TrainingState): void
  /** Another kind of run with the same progress (a fine-tune): runExperiment by default. */
  run?(hooks: RunHooks): Promise<{ modelDir: string }>
  kind?: TrainingState['kind']
  parentModelId?: string
}

export class TrainingSession {
  readonly state: TrainingState
  /** Settles when the run has ended, whatever the outcome (never rejects). */
  readonly finished: Promise<void>
  private cancelJob: (() => void) | undefined
  private cancelRequested = false
  private readonly started = performance.now()

  constructor(private readonly o: SessionOptions) {
    this.state = {
      jobId: o.jobId,
      kind: o.kind ?? 'train',
      parentModelId: o.parentModelId ?? null,
      status: 'loading-data',
      config: o.config,
      datasetId: o.datasetId,
      backend: o.backend,
      startedAt: new Date().toISOString(),
      epochs: [],
      batch: null,
      batchPoints: [],
      secondsLeft: null,
      modelId: null,
      error: null
    }
    this.finished = this.run()
  }

  get running(): boolean {
    return !['done', 'cancelled', 'error'].includes(this.state.status)
  }

  /** Asks the run to stop before its next batch; a run not yet training stops when it starts. */
  cancel(): void {
    this.cancelRequested = true
    this.cancelJob?.()
  }

  private async run(): Promise<void> {
    const s = this.state
    const hooks: RunHooks = {
      onStage: (stage) => this.update({ status: stage }),
      onCancelReady: (cancel) => {
        this.cancelJob = cancel
        if (this.cancelRequested) cancel()
      },
      onBatch: (p) => {
        const points =
          s.batchPoints.length >= MAX_BATCH_POINTS
            ? s.batchPoints.filter((_, i) => i % 2 === 0)
            : s.batchPoints
        points.push([p.epoch - 1 + p.batch / p.batches, p.loss, p.accuracy])
        this.update({
          batch: p,
          batchPoints: points,
          secondsLeft: this.secondsLeft(p.epoch - 1 + p.batch / p.batches)
        })
      },
      onEpoch: (logs) => this.update({ epochs: [...s.epochs, logs], batch: null })
    }
    try {
      const result = this.o.run
        ? await this.o.run(hooks)
        : await runExperiment({
            host: this.o.host,
            config: this.o.config,
            data: this.o.data,
            dataDir: this.o.dataDir,
            modelsDir: this.o.modelsDir,
            ...hooks
          })
      this.update({ status: 'done', modelId: basename(result.modelDir), secondsLeft: 0 })
    } catch (err) {
      if (err instanceof TrainingCancelledError)
        this.update({ status: 'cancelled', secondsLeft: null })
      else this.update({ status: 'error', error: err instanceof Error ? err.message : String(err) })
    }
  }

  private secondsLeft(epochsDone: number): number | null {
    if (epochsDone <= 0) return null
    const elapsed = (performance.now() - this.started) / 1000
    return Math.max(0, (elapsed / epochsDone) * (this.o.config.epochs - epochsDone))
  }

  private update(patch: Partial<TrainingState>): void {
    Object.assign(this.state, patch)
    this.o.onChange(this.state)
  }
}
