// Classification metrics shared by the engine (reports, PNGs) and the renderer (tables).
// Pure code only: the renderer bundles this file, so no Node imports here.

/** Per-class scores, as in one row of scikit-learn's classification_report. */
export interface ClassMetrics {
  precision: number
  recall: number
  f1: number
  support: number
}

/** The whole report: per-class rows, accuracy, and the two averages. */
export interface ClassificationReport {
  classes: (ClassMetrics & { name: string })[]
  accuracy: number
  macroAvg: ClassMetrics
  weightedAvg: ClassMetrics
  total: number
}

/** Counts predictions per (true, predicted) pair: rows are true classes, columns predicted ones. */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number
): number[][] {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`numClasses must be a positive integer, got ${numClasses}`)
  }
  if (trueLabels.length !== predicted.length) {
    throw new Error(
      `label count mismatch: ${trueLabels.length} true labels vs ${predicted.length} predictions`
    )
  }
  const cm = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0))
  for (let i = 0; i < trueLabels.length; i++) {
    const t = checkLabel(trueLabels[i], numClasses, 'true label', i)
    const p = checkLabel(predicted[i], numClasses, 'predicted label', i)
    // Both indices were range-checked, so the rows exist.
    cm[t]![p]! += 1
  }
  return cm
}

function checkLabel(
  value: number | undefined,
  numClasses: number,
  what: string,
  i: number
): number {
  if (value === undefined || !Number.isInteger(value) || value < 0 || value >= numClasses) {
    throw new Error(
      `${what} at index ${i} is ${value}, expected an integer in 0..${numClasses - 1}`
    )
  }
  return value
}

/** 0 instead of NaN for empty denominators: scikit-learn's zero_division=0. */
function divide(num: number, den: number): number {
  return den === 0 ? 0 : num / den
}

/**
 * Precision, recall and F1 per class plus accuracy, macro and weighted averages, following
 * scikit-learn's classification_report(labels=range(n), zero_division=0).
 */
export function classificationReport(
  cm: number[][],
  classNames: readonly string[]
): ClassificationReport {
  const n = classNames.length
  if (cm.length !== n || cm.some((row) => row.length !== n)) {
    throw new Error(`confusion matrix must be ${n}x${n} to match ${n} class names`)
  }
  const rowSums = cm.map((row) => row.reduce((a, b) => a + b, 0))
  const colSums = classNames.map((_, j) => cm.reduce((a, row) => a + (row[j] ?? 0), 0))
  const total = rowSums.reduce((a, b) => a + b, 0)
  let correct = 0

  const classes = classNames.map((name, i) => {
    const tp = cm[i]?.[i] ?? 0
    const support = rowSums[i] ?? 0
    const predictedCount = colSums[i] ?? 0
    correct += tp
    return {
      name,
      precision: divide(tp, predictedCount),
      recall: divide(tp, support),
      // scikit-learn computes F1 from counts (2tp / (support + predicted)), not from rounded P and R.
      f1: divide(2 * tp, support + predictedCount),
      support
    }
  })

  const average = (weight: (c: ClassMetrics) => number, den: number): ClassMetrics => ({
    precision: divide(
      sum(classes, (c) => c.precision * weight(c)),
      den
    ),
    recall: divide(
      sum(classes, (c) => c.recall * weight(c)),
      den
    ),
    f1: divide(
      sum(classes, (c) => c.f1 * weight(c)),
      den
    ),
    support: total
  })

  return {
    classes,
    accuracy: divide(correct, total),
    macroAvg: average(() => 1, n),
    weightedAvg: average((c) => c.support, total),
    total
  }
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  return items.reduce((acc, item) => acc + f(item), 0)
}

/**
 * Fixed-point formatting like Python's format(x, '.Nf'): exact ties round half to even
 * (0.125 -> '0.12'), where Number#toFixed would round them up ('0.13').
 */
export function formatFixed(x: number, digits: number): string {
  const rounded = x.toFixed(digits)
  if (!Number.isFinite(x)) return rounded
  // 25 extra digits see past a double's precision, so only exact ties show "5" then zeros.
  const extra = Math.min(100, digits + 25) - digits
  const exact = Math.abs(x).toFixed(digits + extra)
  const cut = exact.length - extra
  if (!/^50*$/.test(exact.slice(cut))) return rounded
  const truncated = exact.slice(0, cut).replace(/\.$/, '')
  // toFixed already rounded the tie away from zero, which is right when the kept digit is odd.
  if (Number(truncated.at(-1)) % 2 === 1) return rounded
  return (x < 0 ? '-' : '') + truncated
}

/** Renders a report in scikit-learn's text layout (the format people paste into papers). */
export function formatClassificationReport(
  r: ClassificationReport,
  options: { digits?: number } = {}
): string {
  const digits = options.digits ?? 2
  const lastHeading = 'weighted avg'
  const width = Math.max(...r.classes.map((c) => c.name.length), lastHeading.length, digits)
  const col = (s: string): string => ' ' + s.padStart(9)
  const num = (x: number): string => col(formatFixed(x, digits))
  const row = (name: string, m: ClassMetrics): string =>
    name.padStart(width) +
    ' ' +
    num(m.precision) +
    num(m.recall) +
    num(m.f1) +
    col(String(m.support))

  const lines = [
    ''.padStart(width) + ' ' + ['precision', 'recall', 'f1-score', 'support'].map(col).join(''),
    '',
    ...r.classes.map((c) => row(c.name, c)),
    '',
    'accuracy'.padStart(width) + ' ' + col('') + col('') + num(r.accuracy) + col(String(r.total)),
    row('macro avg', r.macroAvg),
    row(lastHeading, r.weightedAvg)
  ]
  return lines.join('\n') + '\n'
}

/** Renders a confusion matrix as an aligned text table; columns are headed by class index. */
export function formatConfusionMatrix(cm: number[][], classNames: readonly string[]): string {
  const n = classNames.length
  if (cm.length !== n || cm.some((row) => row.length !== n)) {
    throw new Error(`confusion matrix must be ${n}x${n} to match ${n} class names`)
  }
  // Row labels carry "index name" so the numeric column headers can be read back to names.
  const indexWidth = String(n - 1).length
  const labels = classNames.map((name, i) => `${String(i).padStart(indexWidth)} ${name}`)
  const labelWidth = Math.max(...labels.map((l) => l.length))
  const cellWidth = Math.max(...cm.flat().map((v) => String(v).length), indexWidth, 3)
  const cells = (values: readonly (string | number)[]): string =>
    values.map((v) => String(v).padStart(cellWidth)).join('  ')

  const header = ''.padStart(labelWidth) + '  ' + cells(classNames.map((_, j) => j))
  const body = cm.map((row, i) => (labels[i] ?? '').padEnd(labelWidth) + '  ' + cells(row))
  return ['rows: true class, columns: predicted class', header, ...body].join('\n') + '\n'
}
