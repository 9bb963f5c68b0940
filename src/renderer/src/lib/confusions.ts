// The largest off-diagonal cells of a confusion matrix: the mistakes worth looking at first.

export interface Confusion {
  trueClass: number
  predictedClass: number
  count: number
  /** Share of the true class's images. */
  share: number
}

export function topConfusions(matrix: readonly (readonly number[])[], limit: number): Confusion[] {
  const found: Confusion[] = []
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0)
    row.forEach((count, j) => {
      if (i !== j && count > 0) {
        found.push({ trueClass: i, predictedClass: j, count, share: total ? count / total : 0 })
      }
    })
  })
  return found.sort((a, b) => b.count - a.count).slice(0, limit)
}
