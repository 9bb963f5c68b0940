// Label corrections as the renderer, the command line and the engine all see them: what one image's
// label is now (a class, possibly marked), and one entry of the corrections journal. Pure TypeScript
// (the renderer imports it).
import { CLASS_NAMES } from './classes'

export type DatasetSplit = 'train' | 'test'
export const MARKS = ['ambiguous', 'excluded'] as const
/** Ambiguous: kept, but flagged for discussion. Excluded: left out of training and evaluation. */
export type Mark = (typeof MARKS)[number]

/** Why a correction was made; undo and redo entries carry their own kind. */
export const SET_REASONS = ['manual', 'suggestion'] as const
export type SetReason = (typeof SET_REASONS)[number]
export type EntryReason = SetReason | 'undo' | 'redo'

/** One image's label: its class (0..9) and an optional mark. */
export interface LabelState {
  label: number
  mark: Mark | null
}

/** One line of the journal, as stored (and as listed by the history). */
export interface CorrectionEntry {
  /** 1, 2, 3, ...: the line number in the journal. */
  seq: number
  /** ISO 8601, when the correction was saved. */
  ts: string
  op: 'set' | 'undo' | 'redo'
  /** For undo and redo: the seq of the 'set' entry undone or redone. */
  target?: number
  split: DatasetSplit
  index: number
  old: LabelState
  new: LabelState
  reason: EntryReason
}

/** A history row: the entry, and for a 'set' whether it is currently undone. */
export interface CorrectionRow extends CorrectionEntry {
  undone: boolean
}

export function sameState(a: LabelState, b: LabelState): boolean {
  return a.label === b.label && a.mark === b.mark
}

/** "Shirt", "Shirt (ambiguous)", "excluded (Shirt)": for tables, CSV and messages. */
export function describeState(s: LabelState, classes: readonly string[] = CLASS_NAMES): string {
  const name = classes[s.label] ?? `class ${s.label}`
  if (s.mark === 'excluded') return `excluded (${name})`
  if (s.mark === 'ambiguous') return `${name} (ambiguous)`
  return name
}
