// Pure logic behind the training store: which incoming TrainingState is newer, how in-epoch points
// accumulate across states, and the four series of the live chart.
import type { TrainingState, TrainingStatus } from '@shared/studio-api'
import type { EpochLogs } from '@shared/training'

/** [fractional epoch, running loss, running accuracy], as in TrainingState.batchPoints. */
export type BatchPoint = [number, number, number]

export const ACTIVE_STATUSES: readonly TrainingStatus[] = [
  'loading-data',
  'training',
  'evaluating',
  'saving'
]

export function isActive(status: TrainingStatus | undefined): boolean {
  return status !== undefined && ACTIVE_STATUSES.includes(status)
}

const STATUS_RANK: Record<TrainingStatus, number> = {
  'loading-data': 0,
  training: 1,
  evaluating: 2,
  saving: 3,
  done: 4,
  cancelled: 4,
  error: 4
}

/** How far a run has got, compared element by element. */
function progressOf(s: TrainingState): number[] {
  return [STATUS_RANK[s.status], s.epochs.length, s.batch?.batch ?? 0]
}

/**
 * Whether `incoming` should replace `current`. States reach the store by two roads (the event and
 * the replies of training:start / training:get-state), so an older state can arrive after a newer
 * one: a later job always wins, and within a job a state never moves the run backwards.
 */
export function isNewer(current: TrainingState | null, incoming: TrainingState): boolean {
  if (!current) return true
  if (incoming.jobId !== current.jobId) return incoming.startedAt >= current.startedAt
  const a = progressOf(incoming)
  const b = progressOf(current)
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number)
  }
  return true
}

/**
 * In-epoch points seen so far in this job. A state may carry only its own epoch's points (or a
 * thinned list): what it carries replaces everything from its first point on, and points before that
 * are kept, so the curve of earlier epochs survives.
 */
export function mergeBatchPoints(previous: BatchPoint[], incoming: BatchPoint[]): BatchPoint[] {
  const first = incoming[0]
  if (!first) return previous
  return [...previous.filter((p) => p[0] < first[0]), ...incoming]
}

export interface XY {
  x: number
  y: number
}

export interface CurveSeries {
  trainLoss: XY[]
  trainAccuracy: XY[]
  valLoss: XY[]
  valAccuracy: XY[]
}

/**
 * The chart's series: training loss/accuracy from the in-epoch running means plus each finished
 * epoch's value (at x = epoch number), validation values once per epoch.
 */
export function curveSeries(
  epochs: readonly EpochLogs[],
  points: readonly BatchPoint[] = []
): CurveSeries {
  const epochAt = new Set(epochs.map((e) => e.epoch))
  // A batch point at exactly the end of an epoch duplicates that epoch's logged value.
  const inEpoch = points.filter((p) => !epochAt.has(p[0]))
  const train = [
    ...inEpoch.map((p) => ({ x: p[0], loss: p[1], accuracy: p[2] })),
    ...epochs.map((e) => ({ x: e.epoch, loss: e.loss, accuracy: e.accuracy }))
  ].sort((p, q) => p.x - q.x)
  return {
    trainLoss: finite(train.map((p) => ({ x: p.x, y: p.loss }))),
    trainAccuracy: finite(train.map((p) => ({ x: p.x, y: p.accuracy }))),
    valLoss: finite(epochs.map((e) => ({ x: e.epoch, y: e.val_loss }))),
    valAccuracy: finite(epochs.map((e) => ({ x: e.epoch, y: e.val_accuracy })))
  }
}

// With no validation split the engine has no validation values: nothing to plot there.
function finite(points: XY[]): XY[] {
  return points.filter((p) => typeof p.y === 'number' && Number.isFinite(p.y))
}
