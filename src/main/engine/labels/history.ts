// The corrections history as people read it: filtered, newest first, and as CSV (RFC 4180) for
// spreadsheets and scripts.
import { CLASS_NAMES } from '@shared/classes'
import type { CorrectionRow, DatasetSplit, EntryReason } from '@shared/labels'

export interface HistoryFilter {
  split?: DatasetSplit
  reason?: EntryReason
  /** Entries whose old or new class is this one. */
  label?: number
  /** Only the corrections in force: 'set' entries not undone (no undo/redo entries). */
  inForceOnly?: boolean
}

export function filterHistory(rows: CorrectionRow[], f: HistoryFilter): CorrectionRow[] {
  return rows.filter(
    (r) =>
      (f.split === undefined || r.split === f.split) &&
      (f.reason === undefined || r.reason === f.reason) &&
      (f.label === undefined || r.old.label === f.label || r.new.label === f.label) &&
      (!f.inForceOnly || (r.op === 'set' && !r.undone))
  )
}

export const CSV_COLUMNS = [
  'seq',
  'timestamp',
  'op',
  'target_seq',
  'split',
  'index',
  'old_label',
  'old_class',
  'old_mark',
  'new_label',
  'new_class',
  'new_mark',
  'reason',
  'undone'
] as const

/** The rows as CSV (oldest first, as in the journal), with a header line; CRLF per RFC 4180. */
export function historyCsv(rows: CorrectionRow[]): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const r of [...rows].sort((a, b) => a.seq - b.seq)) {
    lines.push(
      [
        r.seq,
        r.ts,
        r.op,
        r.target ?? '',
        r.split,
        r.index,
        r.old.label,
        CLASS_NAMES[r.old.label] ?? '',
        r.old.mark ?? '',
        r.new.label,
        CLASS_NAMES[r.new.label] ?? '',
        r.new.mark ?? '',
        r.reason,
        r.undone ? 'yes' : 'no'
      ]
        .map((v) => csvField(String(v)))
        .join(',')
    )
  }
  return lines.join('\r\n') + '\r\n'
}

/** Quotes a field when it holds a comma, quote or line break ("T-shirt/top" needs none). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}
