// Training-vs-validation curves (accuracy and loss) as a PNG for run reports.
import type { EpochLogs } from '@shared/training'
import { FONT, esc, niceTicks, r, tickLabel, writeSvgAsPng } from './svg'

const WIDTH = 1200
const HEIGHT = 500
// Plot area inside each half of the picture; the top band holds the title and shared legend.
const PAD = { left: 84, right: 28, top: 100, bottom: 64 }
const TRAIN = { name: 'training', colour: '#1f77b4', dash: '' }
const VAL = { name: 'validation', colour: '#e8710a', dash: '8 5' }

type Series = typeof TRAIN
interface Panel {
  label: string
  train: number[]
  val: number[]
  /** Clamp the padded value range to these bounds when the data lie inside them. */
  bounds: [number, number]
}

/** SVG of training vs validation accuracy and loss per epoch, side by side. */
export function renderTrainingCurvesSvg(history: EpochLogs[], title = 'Training curves'): string {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${esc(FONT)}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="36" text-anchor="middle" font-size="21" font-weight="bold" fill="#222">${esc(title)}</text>`
  ]
  if (history.length === 0) {
    parts.push(
      `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" font-size="20" fill="#777">no epochs recorded</text>`
    )
  } else {
    const epochs = history.map((h) => h.epoch)
    parts.push(legend(WIDTH / 2, 66))
    const panels: Panel[] = [
      {
        label: 'accuracy',
        train: history.map((h) => h.accuracy),
        val: history.map((h) => h.val_accuracy),
        bounds: [0, 1]
      },
      {
        label: 'loss',
        train: history.map((h) => h.loss),
        val: history.map((h) => h.val_loss),
        bounds: [0, Infinity]
      }
    ]
    panels.forEach((p, i) => parts.push(panel(p, epochs, (i * WIDTH) / 2)))
  }
  parts.push('</svg>')
  return parts.join('\n')
}

/** Writes the training curves as a PNG (about 1200x500). */
export async function writeTrainingCurvesPng(
  history: EpochLogs[],
  file: string,
  title?: string
): Promise<void> {
  await writeSvgAsPng(renderTrainingCurvesSvg(history, title), file)
}

function panel(p: Panel, epochs: number[], originX: number): string {
  const x0 = originX + PAD.left
  const x1 = originX + WIDTH / 2 - PAD.right
  const y0 = PAD.top
  const y1 = HEIGHT - PAD.bottom

  const [eMin, eMax] = [Math.min(...epochs), Math.max(...epochs)]
  // Half an epoch of air on each side keeps end markers off the axes (and centres a lone epoch).
  const xDomain = [eMin - 0.5, eMax + 0.5] as const
  const yDomain = valueDomain([...p.train, ...p.val], p.bounds)
  const sx = (e: number): number => x0 + ((e - xDomain[0]) / (xDomain[1] - xDomain[0])) * (x1 - x0)
  const sy = (v: number): number => y1 - ((v - yDomain[0]) / (yDomain[1] - yDomain[0])) * (y1 - y0)

  const out: string[] = [`<g>`]
  const yTicks = niceTicks(yDomain[0], yDomain[1], 6)
  for (const t of yTicks) {
    out.push(
      `<line x1="${x0}" x2="${x1}" y1="${r(sy(t))}" y2="${r(sy(t))}" stroke="#e6e6e6"/>`,
      `<text x="${x0 - 8}" y="${r(sy(t) + 4.5)}" text-anchor="end" font-size="13" fill="#444">${tickLabel(t, yTicks)}</text>`
    )
  }
  for (const t of epochTicks(eMin, eMax)) {
    out.push(
      `<line x1="${r(sx(t))}" x2="${r(sx(t))}" y1="${y1}" y2="${y1 + 5}" stroke="#444"/>`,
      `<text x="${r(sx(t))}" y="${y1 + 21}" text-anchor="middle" font-size="13" fill="#444">${t}</text>`
    )
  }
  out.push(
    `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#444"/>`,
    `<text x="${(x0 + x1) / 2}" y="${y0 - 12}" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${esc(capitalise(p.label))}</text>`,
    `<text x="${(x0 + x1) / 2}" y="${y1 + 46}" text-anchor="middle" font-size="15" fill="#222">epoch</text>`,
    `<text transform="translate(${x0 - 58} ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" font-size="15" fill="#222">${esc(p.label)}</text>`,
    series(TRAIN, epochs, p.train, sx, sy),
    series(VAL, epochs, p.val, sx, sy),
    `</g>`
  )
  return out.join('\n')
}

/** Padded [min, max] of the finite values, clamped to bounds when the data respect them. */
function valueDomain(values: number[], [lo, hi]: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return [0, 1]
  const min = Math.min(...finite)
  const max = Math.max(...finite)
  const pad = max > min ? (max - min) * 0.08 : Math.max(Math.abs(max) * 0.05, 0.05)
  return [
    min >= lo ? Math.max(lo, min - pad) : min - pad,
    max <= hi ? Math.min(hi, max + pad) : max + pad
  ]
}

/** Every epoch while they fit; otherwise nice integer steps. */
function epochTicks(min: number, max: number): number[] {
  if (max - min <= 20) return Array.from({ length: max - min + 1 }, (_, i) => min + i)
  return niceTicks(min, max, 10).filter(Number.isInteger)
}

function series(
  s: Series,
  epochs: number[],
  values: number[],
  sx: (e: number) => number,
  sy: (v: number) => number
): string {
  // Non-finite values (a diverged loss, no validation split) break the line instead of poisoning it.
  let d = ''
  let pen = 'M'
  const markers: string[] = []
  const radius = epochs.length > 60 ? 0 : epochs.length > 30 ? 2.5 : 4
  values.forEach((v, i) => {
    const e = epochs[i]
    if (e === undefined || !Number.isFinite(v)) {
      pen = 'M'
      return
    }
    d += `${pen}${r(sx(e))},${r(sy(v))} `
    pen = 'L'
    if (radius > 0) markers.push(marker(s, sx(e), sy(v), radius))
  })
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : ''
  const path = d
    ? `<path d="${d.trim()}" fill="none" stroke="${s.colour}" stroke-width="2.2"${dash}/>`
    : ''
  return [path, ...markers].join('\n')
}

function marker(s: Series, x: number, y: number, radius: number): string {
  // Validation markers are hollow so the two series stay distinguishable in greyscale prints.
  const fill = s === VAL ? '#ffffff' : s.colour
  return `<circle cx="${r(x)}" cy="${r(y)}" r="${radius}" fill="${fill}" stroke="${s.colour}" stroke-width="1.8"/>`
}

function legend(cx: number, y: number): string {
  const entry = (s: Series, x: number): string =>
    [
      `<line x1="${x}" x2="${x + 40}" y1="${y}" y2="${y}" stroke="${s.colour}" stroke-width="2.2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      marker(s, x + 20, y, 4),
      `<text x="${x + 48}" y="${y + 5}" font-size="14" fill="#222">${s.name}</text>`
    ].join('\n')
  return [entry(TRAIN, cx - 150), entry(VAL, cx + 10)].join('\n')
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
