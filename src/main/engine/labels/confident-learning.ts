// Confident learning (Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in
// Dataset Labels", JAIR 2021), as cleanlab computes it, on out-of-sample predicted probabilities:
//  - per-class threshold t_j: the mean probability of class j over the images labelled j (the
//    model's average self-confidence for that class);
//  - the confident joint C[given][true]: each image counts once, for the class with the highest
//    probability among those at or above their threshold (not at all when none is);
//  - label issues: the images counted off the diagonal (confidently another class than their label),
//    ranked by self-confidence (the probability of the given label, lowest first) or by normalized
//    margin (that probability minus the best other one).
// Pure and synchronous: tested on hand-made probabilities.

export interface LabelIssue {
  index: number
  given: number
  /** The confident class: the likely true label. */
  suggested: number
  /** Probability of the suggested class. */
  probability: number
  /** Probability of the given label. */
  selfConfidence: number
  /** selfConfidence minus the largest other probability (negative: another class is likelier). */
  margin: number
}

export interface ConfidentLearningResult {
  thresholds: number[]
  /** Rows: given label; columns: confident (likely true) class. */
  joint: number[][]
  /** Off-diagonal count of the joint calibrated to the label counts: the estimated number of errors. */
  estimatedErrors: number
  issues: LabelIssue[]
}

export type RankBy = 'self_confidence' | 'normalized_margin'

/**
 * `probs`: n x k row-major out-of-sample probabilities; `labels`: the n given labels. Images whose
 * index is in `skip` (e.g. excluded) take no part.
 */
export function findLabelIssues(
  probs: Float32Array | number[],
  labels: ArrayLike<number>,
  k: number,
  rankBy: RankBy = 'self_confidence',
  skip: ReadonlySet<number> = new Set()
): ConfidentLearningResult {
  const n = labels.length
  if (probs.length !== n * k)
    throw new Error(`expected ${n} x ${k} probabilities, got ${probs.length}`)
  const thresholds = perClassThresholds(probs, labels, k, skip)
  const joint = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  const issues: LabelIssue[] = []
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue
    const given = labels[i]!
    let best = -1
    for (let j = 0; j < k; j++) {
      const p = probs[i * k + j]!
      if (p >= thresholds[j]! && (best < 0 || p > probs[i * k + best]!)) best = j
    }
    if (best < 0) continue
    joint[given]![best]!++
    if (best === given) continue
    const selfConfidence = probs[i * k + given]!
    let other = 0
    for (let j = 0; j < k; j++) if (j !== given) other = Math.max(other, probs[i * k + j]!)
    issues.push({
      index: i,
      given,
      suggested: best,
      probability: probs[i * k + best]!,
      selfConfidence,
      margin: selfConfidence - other
    })
  }
  const key = rankBy === 'self_confidence' ? 'selfConfidence' : 'margin'
  issues.sort((a, b) => a[key] - b[key] || a.index - b.index)
  return {
    thresholds,
    joint,
    estimatedErrors: calibratedOffDiagonal(joint, labels, k, skip),
    issues
  }
}

/** Mean probability of class j over the images labelled j (0 for a class with no image). */
export function perClassThresholds(
  probs: Float32Array | number[],
  labels: ArrayLike<number>,
  k: number,
  skip: ReadonlySet<number> = new Set()
): number[] {
  const sums = new Array<number>(k).fill(0)
  const counts = new Array<number>(k).fill(0)
  for (let i = 0; i < labels.length; i++) {
    if (skip.has(i)) continue
    const y = labels[i]!
    sums[y]! += probs[i * k + y]!
    counts[y]!++
  }
  return sums.map((s, j) => (counts[j] ? s / counts[j]! : 0))
}

/**
 * cleanlab's calibration: each row of the joint rescaled to the number of images with that label,
 * then the whole to n; its off-diagonal mass estimates how many labels are wrong.
 */
function calibratedOffDiagonal(
  joint: number[][],
  labels: ArrayLike<number>,
  k: number,
  skip: ReadonlySet<number>
): number {
  const labelCounts = new Array<number>(k).fill(0)
  let n = 0
  for (let i = 0; i < labels.length; i++) {
    if (skip.has(i)) continue
    labelCounts[labels[i]!]!++
    n++
  }
  const calibrated = joint.map((row, y) => {
    const sum = row.reduce((a, b) => a + b, 0)
    return row.map((c) => (sum ? (c / sum) * labelCounts[y]! : 0))
  })
  const total = calibrated.flat().reduce((a, b) => a + b, 0)
  if (!total) return 0
  let off = 0
  calibrated.forEach((row, y) => row.forEach((c, j) => j !== y && (off += c)))
  return Math.round((off / total) * n)
}
