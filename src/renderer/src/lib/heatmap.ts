// Colours of the confusion heatmap. Each cell is shaded by its share of the row (of the images of
// that true class), so classes with different supports compare fairly: correct predictions in blue,
// mistakes in red, so that the off-diagonal cells that matter stand out even when small.

// A type alias, not an interface: Vue's style binding needs its implicit index signature.
export type CellStyle = {
  background: string
  color: string
}

/** Shares of a row: count / row total, 0 for an empty row. */
export function rowShares(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0)
    return row.map((v) => (total === 0 ? 0 : v / total))
  })
}

export function cellStyle(share: number, diagonal: boolean): CellStyle {
  // Mistakes are usually a few percent: a square root lifts them into view without saturating.
  const intensity = diagonal ? share : Math.min(1, Math.sqrt(share) * 1.6)
  const alpha = share === 0 ? 0 : 0.08 + 0.92 * intensity
  const rgb = diagonal ? '37, 99, 235' : '220, 38, 38'
  return {
    background: `rgba(${rgb}, ${alpha.toFixed(3)})`,
    color: alpha > 0.55 ? '#ffffff' : '#1e293b'
  }
}
