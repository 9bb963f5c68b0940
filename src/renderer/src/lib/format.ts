// Number and time formatting shared by the views, so every table and label reads the same way.
import { formatFixed } from '@shared/metrics'

/** Metrics in tables: three decimals, ties rounded like scikit-learn's reports. */
export function formatMetric(x: number): string {
  return Number.isFinite(x) ? formatFixed(x, 3) : '—'
}

/** 0.8834 -> "88.3%". */
export function formatPercent(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${formatFixed(x * 100, digits)}%` : '—'
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** "1 epoch", "3 epochs", "1,200 images". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`
}

/** Seconds as "42 s", "3 min 05 s" or "1 h 02 min": precise enough for an estimate. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  const minutes = Math.floor(s / 60)
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
}

/** ISO date as a short local date and time, e.g. "25 Nov 2026, 16:50". */
export function formatDate(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return date.toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  })
}

/** The message of anything thrown: Error, string or otherwise. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return typeof err === 'string' ? err : String(err)
}
