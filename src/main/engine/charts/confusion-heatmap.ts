// Confusion-matrix heatmap as a PNG for run reports.
import { FONT, blues, esc, hex, isDark, r, writeSvgAsPng } from './svg'

const WIDTH = 900
const HEIGHT = 850
// Fixed bands: title above the grid, colour bar on the right. Label bands depend on the names.
const PAD = { right: 128, top: 84 }
const BAR = { gap: 26, width: 18 }
const LABEL_FONT = 13
// DejaVu Sans averages about 0.6 em per character; used to size the label bands.
const CHAR_WIDTH = 0.6 * LABEL_FONT
// Longer names are shortened so a single odd label cannot squeeze the grid.
const MAX_LABEL_CHARS = 24

/**
 * SVG heatmap of a confusion matrix (rows true, columns predicted). Cells are coloured by their
 * share of the true class (so the diagonal reads as per-class recall) and labelled with counts.
 */
export function renderConfusionSvg(
  cm: number[][],
  classNames: readonly string[],
  title = 'Confusion matrix'
): string {
  const n = classNames.length
  if (n === 0 || cm.length !== n || cm.some((row) => row.length !== n)) {
    throw new Error(`confusion matrix must be ${n}x${n} to match ${n} class names`)
  }
  const labels = classNames.map(shorten)
  const labelPx = Math.max(...labels.map((l) => l.length)) * CHAR_WIDTH
  // Space for: axis title, gap, names (left); rotated names at 45 degrees, gap, axis title (below).
  const left = 44 + labelPx + 12
  const bottom = labelPx * Math.SQRT1_2 + 64
  const cell = Math.min((WIDTH - left - PAD.right) / n, (HEIGHT - PAD.top - bottom) / n)
  const gx = left
  const gy = PAD.top
  const size = cell * n
  const rowSums = cm.map((row) => row.reduce((a, b) => a + b, 0))
  const total = rowSums.reduce((a, b) => a + b, 0)
  const correct = cm.reduce((a, row, i) => a + (row[i] ?? 0), 0)
  const maxDigits = Math.max(...cm.flat().map((v) => String(v).length))
  // Shrink the count font for wide numbers so they stay inside their cell.
  const countFont = Math.min(15, cell * 0.3, (cell * 0.82) / (maxDigits * 0.64))
  const labelFont = Math.min(LABEL_FONT, cell * 0.45)

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${esc(FONT)}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${r(gx + size / 2)}" y="34" text-anchor="middle" font-size="21" font-weight="bold" fill="#222">${esc(title)}</text>`,
    `<text x="${r(gx + size / 2)}" y="58" text-anchor="middle" font-size="13" fill="#666">${subtitle(total, correct)}</text>`
  ]

  cm.forEach((row, i) => {
    row.forEach((count, j) => {
      const share = (rowSums[i] ?? 0) > 0 ? count / (rowSums[i] ?? 1) : 0
      const fill = blues(share)
      const x = gx + j * cell
      const y = gy + i * cell
      // Zeros are greyed out so the eye goes to the real confusions.
      const ink = count === 0 ? '#b8b8b8' : isDark(fill) ? '#ffffff' : '#1a1a1a'
      out.push(
        `<rect x="${r(x)}" y="${r(y)}" width="${r(cell)}" height="${r(cell)}" fill="${hex(fill)}" stroke="#ffffff" stroke-width="1"/>`,
        `<text x="${r(x + cell / 2)}" y="${r(y + cell / 2 + countFont * 0.36)}" text-anchor="middle" font-size="${r(countFont)}" fill="${ink}">${count}</text>`
      )
    })
  })
  out.push(
    `<rect x="${gx}" y="${gy}" width="${r(size)}" height="${r(size)}" fill="none" stroke="#666"/>`
  )

  labels.forEach((name, i) => {
    const c = i * cell + cell / 2
    const xLabelY = gy + size + 10
    out.push(
      `<text x="${gx - 8}" y="${r(gy + c + labelFont * 0.36)}" text-anchor="end" font-size="${r(labelFont)}" fill="#222">${esc(name)}</text>`,
      // Rotated 45 degrees and anchored at the end so long names hang below their own column.
      `<text transform="translate(${r(gx + c + labelFont * 0.3)} ${r(xLabelY)}) rotate(-45)" text-anchor="end" font-size="${r(labelFont)}" fill="#222">${esc(name)}</text>`
    )
  })
  out.push(
    `<text transform="translate(${r(gx - labelPx - 26)} ${r(gy + size / 2)}) rotate(-90)" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">true class</text>`,
    `<text x="${r(gx + size / 2)}" y="${r(gy + size + labelPx * Math.SQRT1_2 + 46)}" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">predicted class</text>`,
    colourBar(gx + size + BAR.gap, gy, size),
    '</svg>'
  )
  return out.join('\n')
}

/** Writes the confusion heatmap as a PNG (about 900x850). */
export async function writeConfusionPng(
  cm: number[][],
  classNames: readonly string[],
  file: string,
  title?: string
): Promise<void> {
  await writeSvgAsPng(renderConfusionSvg(cm, classNames, title), file)
}

function subtitle(total: number, correct: number): string {
  if (total === 0) return 'no samples'
  return `${total.toLocaleString('en-US')} samples, accuracy ${((100 * correct) / total).toFixed(2)}%`
}

function shorten(name: string): string {
  return name.length > MAX_LABEL_CHARS ? name.slice(0, MAX_LABEL_CHARS - 1) + '…' : name
}

function colourBar(x: number, y: number, height: number): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map(
    (t) => `<stop offset="${t}" stop-color="${hex(blues(t))}"/>`
  )
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1].flatMap((t) => {
    const ty = y + height * (1 - t)
    return [
      `<line x1="${x + BAR.width}" x2="${x + BAR.width + 5}" y1="${r(ty)}" y2="${r(ty)}" stroke="#444"/>`,
      `<text x="${x + BAR.width + 8}" y="${r(ty + 4.5)}" font-size="12" fill="#444">${Math.round(t * 100)}%</text>`
    ]
  })
  return [
    // Gradient runs bottom (0%) to top (100%), like the tick labels.
    `<defs><linearGradient id="bar" x1="0" y1="1" x2="0" y2="0">${stops.join('')}</linearGradient></defs>`,
    `<rect x="${x}" y="${y}" width="${BAR.width}" height="${r(height)}" fill="url(#bar)" stroke="#666"/>`,
    ...ticks,
    `<text transform="translate(${x + BAR.width + 62} ${r(y + height / 2)}) rotate(-90)" text-anchor="middle" font-size="13" fill="#444">share of true class (recall)</text>`
  ].join('\n')
}
