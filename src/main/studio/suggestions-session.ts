// One search for likely label errors started from the studio: k-fold cross-validation in the
// worker, then confident learning; its state is sent whole on every change (like a training run),
// and the result is cached in the workspace for the review queue.
import type { SuggestionsState } from '@shared/studio-api'
import type { FashionMnist } from '../engine/data/fashion-mnist'
import type { LabelStore } from '../engine/labels/label-store'
import {
  computeSuggestions,
  saveSuggestions,
  type SuggestionsFile
} from '../engine/labels/suggestions'
import { TrainingCancelledError, type TrainingHost } from '../engine/worker/host'

export interface SuggestionsSessionOptions {
  host: TrainingHost
  data: FashionMnist
  labels: LabelStore
  workspace: string
  folds: number
  epochs: number
  trainLimit?: number
  jobId: string
  onChange(state: SuggestionsState): void
  onDone(result: SuggestionsFile): void
}

export class SuggestionsSession {
  readonly state: SuggestionsState
  /** Settles when the search has ended, whatever the outcome (never rejects). */
  readonly finished: Promise<void>
  private cancelJob: (() => void) | undefined
  private cancelRequested = false
  private readonly started = performance.now()

  constructor(private readonly o: SuggestionsSessionOptions) {
    this.state = {
      jobId: o.jobId,
      status: 'running',
      folds: o.folds,
      epochs: o.epochs,
      trainCount: Math.min(o.trainLimit ?? o.data.train.count, o.data.train.count),
      fold: 1,
      epoch: 0,
      batch: 0,
      batches: 0,
      startedAt: new Date().toISOString(),
      secondsLeft: null,
      error: null,
      issues: null
    }
    this.finished = this.run()
  }

  get running(): boolean {
    return this.state.status === 'running'
  }

  cancel(): void {
    this.cancelRequested = true
    this.cancelJob?.()
  }

  private async run(): Promise<void> {
    try {
      const result = await computeSuggestions({
        host: this.o.host,
        data: this.o.data,
        labels: this.o.labels,
        folds: this.o.folds,
        epochs: this.o.epochs,
        trainLimit: this.o.trainLimit,
        onCancelReady: (cancel) => {
          this.cancelJob = cancel
          if (this.cancelRequested) cancel()
        },
        onProgress: (p) => {
          const done =
            ((p.fold - 1) * p.epochs + p.epoch - 1 + p.batch / (p.batches || 1)) /
            (p.folds * p.epochs)
          const elapsed = (performance.now() - this.started) / 1000
          this.update({
            fold: p.fold,
            epoch: p.epoch,
            batch: p.batch,
            batches: p.batches,
            secondsLeft: done > 0.02 ? Math.max(0, (elapsed / done) * (1 - done)) : null
          })
        }
      })
      await saveSuggestions(this.o.workspace, result)
      this.o.onDone(result)
      this.update({ status: 'done', issues: result.issues.length, secondsLeft: 0 })
    } catch (err) {
      if (err instanceof TrainingCancelledError)
        this.update({ status: 'cancelled', secondsLeft: null })
      else this.update({ status: 'error', error: err instanceof Error ? err.message : String(err) })
    }
  }

  private update(patch: Partial<SuggestionsState>): void {
    Object.assign(this.state, patch)
    this.o.onChange(this.state)
  }
}
