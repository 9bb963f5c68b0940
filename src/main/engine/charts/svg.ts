// Tiny SVG toolkit for the report charts: we draw by hand so there is no plotting dependency,
// and sharp (librsvg) turns the SVG into a PNG.
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import sharp from 'sharp'

/** Font stack librsvg resolves on the build machines; DejaVu has every glyph we print. */
export const FONT = "'DejaVu Sans', Verdana, sans-serif"

/** Escapes text for SVG element content and attribute values. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** Rounds coordinates so the SVG stays short and diff-friendly. */
export function r(x: number): string {
  return String(Math.round(x * 10) / 10)
}

/** Evenly spaced "nice" tick values (steps of 1, 2 or 5 x 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(max > min)) return [min]
  const raw = (max - min) / target
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag
  const ticks: number[] = []
  // Rounding each tick to the step's precision avoids labels such as 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)))
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Number(t.toFixed(decimals)))
  }
  return ticks
}

/** Formats tick labels with just enough decimals to tell neighbouring ticks apart. */
export function tickLabel(value: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs((ticks[1] ?? 0) - (ticks[0] ?? 0)) : 1
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9))
  return value.toFixed(decimals)
}

// Sequential blue scale (ColorBrewer "Blues" end points and midpoints), light to dark.
const BLUES: readonly [number, number, number][] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107]
]

/** Maps t in [0, 1] to an RGB triple on the blue scale. */
export function blues(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (BLUES.length - 1)
  const i = Math.min(BLUES.length - 2, Math.floor(x))
  const a = BLUES[i]!
  const b = BLUES[i + 1]!
  const f = x - i
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as [number, number, number]
}

/** CSS hex for an RGB triple. */
export function hex([red, green, blue]: readonly [number, number, number]): string {
  return '#' + [red, green, blue].map((c) => c.toString(16).padStart(2, '0')).join('')
}

/** True when white text reads better than black on this fill (WCAG relative luminance). */
export function isDark([red, green, blue]: readonly [number, number, number]): boolean {
  const lin = (c: number): number => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  const luminance = 0.2126 * lin(red) + 0.7152 * lin(green) + 0.0722 * lin(blue)
  // Crossover where contrast against white equals contrast against black.
  return luminance < 0.179
}

/** Rasterises an SVG document to a PNG file, creating the parent folder if needed. */
export async function writeSvgAsPng(svg: string, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await sharp(Buffer.from(svg)).png().toFile(file)
}
