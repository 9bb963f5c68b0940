// Learning-rate schedules (per step) and the epoch-end rules that watch validation loss.

export type ScheduleKind = 'constant' | 'cosine' | 'one-cycle'

/**
 * Learning rate at `step` of `total` (0-based). Cosine: from `base` down to 0 (Loshchilov and
 * Hutter's SGDR without restarts). One-cycle (Smith 2018, as PyTorch's OneCycleLR with its
 * defaults): 30% of the steps rising from base/25 to base, then annealing to base/10^4, both halves
 * cosine-shaped.
 */
export function learningRateAt(
  kind: ScheduleKind,
  base: number,
  step: number,
  total: number
): number {
  const t = Math.min(1, step / Math.max(1, total - 1))
  const cosine = (from: number, to: number, x: number): number =>
    to + ((from - to) * (1 + Math.cos(Math.PI * x))) / 2
  switch (kind) {
    case 'constant':
      return base
    case 'cosine':
      return cosine(base, 0, t)
    case 'one-cycle': {
      const warm = 0.3
      return t < warm
        ? cosine(base / 25, base, t / warm)
        : cosine(base, base / 25 / 1e4, (t - warm) / (1 - warm))
    }
  }
}

/** Keras's ReduceLROnPlateau(factor=0.5, patience=2) and EarlyStopping(restore_best_weights=True). */
export class ValidationWatch {
  private best = Infinity
  private sinceBest = 0
  private sinceReduce = 0
  /** Multiplier applied on top of the schedule; halves on each plateau. */
  factor = 1

  constructor(private readonly o: { reduceOnPlateau: boolean; earlyStoppingPatience: number }) {}

  /** Records an epoch's validation loss: whether it is the best so far, and whether to stop. */
  update(valLoss: number): { improved: boolean; stop: boolean } {
    const improved = valLoss < this.best
    if (improved) {
      this.best = valLoss
      this.sinceBest = 0
      this.sinceReduce = 0
    } else {
      this.sinceBest++
      this.sinceReduce++
      if (this.o.reduceOnPlateau && this.sinceReduce >= 2) {
        this.factor = Math.max(this.factor / 2, 1e-3)
        this.sinceReduce = 0
      }
    }
    const stop = this.o.earlyStoppingPatience > 0 && this.sinceBest >= this.o.earlyStoppingPatience
    return { improved, stop }
  }
}
