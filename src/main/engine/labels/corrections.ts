// The corrections as a state: the journal's entries replayed over the dataset's original labels.
// Pure (no files), so the replay rules are tested on their own: every entry must start from the
// state the replay has reached (a journal that does not fit the dataset is caught here), and undo /
// redo follow a linear stack, as in an editor: undo takes back the newest correction still in force,
// redo puts back the newest one undone, and a new correction clears what could be redone.
import { NUM_CLASSES } from '@shared/classes'
import {
  describeState,
  sameState,
  type CorrectionEntry,
  type CorrectionRow,
  type DatasetSplit,
  type LabelState,
  type Mark,
  type SetReason
} from '@shared/labels'
import { LabelError } from './errors'

export type OriginalLabels = Record<DatasetSplit, Uint8Array>

/** What a correction changes: a class (which clears any mark), or only the mark. */
export type LabelChange = { label: number; mark?: Mark | null } | { mark: Mark | null }

/** An entry before the journal gives it a seq and a time. */
export type PlannedEntry = Omit<CorrectionEntry, 'seq' | 'ts'>

const key = (split: DatasetSplit, index: number): string => `${split}:${index}`

export class Corrections {
  readonly entries: CorrectionEntry[] = []
  /** Bumped on every applied entry: caches of corrected views compare it. */
  version = 0
  private readonly current = new Map<string, LabelState>()
  private readonly undoStack: number[] = []
  private readonly redoStack: number[] = []
  private readonly undoneSets = new Set<number>()

  constructor(readonly original: OriginalLabels) {}

  /** The image's label now (its original one when never corrected). */
  stateOf(split: DatasetSplit, index: number): LabelState {
    this.checkImage(split, index)
    return this.current.get(key(split, index)) ?? this.originalState(split, index)
  }

  originalState(split: DatasetSplit, index: number): LabelState {
    return { label: this.original[split][index]!, mark: null }
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0
  }

  /** The 'set' entry an undo would take back, if any. */
  get undoTarget(): CorrectionEntry | undefined {
    const seq = this.undoStack[this.undoStack.length - 1]
    return seq === undefined ? undefined : this.entries[seq - 1]
  }

  get redoTarget(): CorrectionEntry | undefined {
    const seq = this.redoStack[this.redoStack.length - 1]
    return seq === undefined ? undefined : this.entries[seq - 1]
  }

  /**
   * The entry a correction would append. Rejects a class that does not exist, an image out of range,
   * and (with `expected`) an image that changed since the caller looked at it: two windows editing
   * the same image get an error, not a silent overwrite.
   */
  planSet(
    split: DatasetSplit,
    index: number,
    change: LabelChange,
    reason: SetReason,
    expected?: LabelState
  ): PlannedEntry {
    const old = this.stateOf(split, index)
    if ('label' in change) checkClass(change.label)
    if (expected && !sameState(expected, old)) {
      throw new LabelError(
        `${split} image #${index} was changed meanwhile (it is now ${describeState(old)}, not ${describeState(expected)}): look at it again before correcting it`
      )
    }
    const next: LabelState =
      'label' in change
        ? { label: change.label, mark: change.mark ?? null }
        : { label: old.label, mark: change.mark }
    if (sameState(old, next)) {
      throw new LabelError(`${split} image #${index} is already ${describeState(old)}`)
    }
    return { op: 'set', split, index, old, new: next, reason }
  }

  /** The entry that undoes the newest correction in force; `expectedTarget` guards against races. */
  planUndo(expectedTarget?: number): PlannedEntry | null {
    const target = this.undoTarget
    if (!target) return null
    checkTarget('undo', target.seq, expectedTarget)
    return {
      op: 'undo',
      target: target.seq,
      split: target.split,
      index: target.index,
      old: target.new,
      new: target.old,
      reason: 'undo'
    }
  }

  planRedo(expectedTarget?: number): PlannedEntry | null {
    const target = this.redoTarget
    if (!target) return null
    checkTarget('redo', target.seq, expectedTarget)
    return {
      op: 'redo',
      target: target.seq,
      split: target.split,
      index: target.index,
      old: target.old,
      new: target.new,
      reason: 'redo'
    }
  }

  /** Replays one entry (throws LabelError when it does not fit: see problemWith). */
  apply(entry: CorrectionEntry): void {
    const problem = this.problemWith(entry)
    if (problem) throw new LabelError(problem)
    if (entry.op === 'set') {
      this.undoStack.push(entry.seq)
      // Undone sets that can no longer be redone stay "undone" in the history.
      this.redoStack.length = 0
    } else if (entry.op === 'undo') {
      this.undoStack.pop()
      this.redoStack.push(entry.target!)
      this.undoneSets.add(entry.target!)
    } else {
      this.redoStack.pop()
      this.undoStack.push(entry.target!)
      this.undoneSets.delete(entry.target!)
    }
    const k = key(entry.split, entry.index)
    if (sameState(entry.new, this.originalState(entry.split, entry.index))) this.current.delete(k)
    else this.current.set(k, entry.new)
    this.entries.push(entry)
    this.version++
  }

  /** Why an entry cannot follow the current state (undefined when it can). */
  problemWith(e: CorrectionEntry): string | undefined {
    if (e.seq !== this.entries.length + 1) {
      return `entry seq ${e.seq} follows seq ${this.entries.length} (entries missing or repeated)`
    }
    const size = this.original[e.split]?.length
    if (size === undefined || e.index >= size) {
      return `seq ${e.seq}: ${e.split} image #${e.index} does not exist (the split has ${size ?? 0} images)`
    }
    if (e.new.label >= NUM_CLASSES || e.old.label >= NUM_CLASSES) {
      return `seq ${e.seq}: class out of range 0..${NUM_CLASSES - 1}`
    }
    const now = this.stateOf(e.split, e.index)
    if (!sameState(now, e.old)) {
      return `seq ${e.seq}: says ${e.split} image #${e.index} was ${describeState(e.old)}, but it is ${describeState(now)} (the dataset or the journal changed)`
    }
    if (e.op === 'undo' && this.undoStack[this.undoStack.length - 1] !== e.target) {
      return `seq ${e.seq}: undoes seq ${e.target}, which is not the newest correction in force`
    }
    if (e.op === 'redo' && this.redoStack[this.redoStack.length - 1] !== e.target) {
      return `seq ${e.seq}: redoes seq ${e.target}, which is not the newest one undone`
    }
    return undefined
  }

  /** Whether a 'set' entry is currently taken back. */
  isUndone(seq: number): boolean {
    return this.undoneSets.has(seq)
  }

  rows(): CorrectionRow[] {
    return this.entries.map((e) => ({ ...e, undone: e.op === 'set' && this.isUndone(e.seq) }))
  }

  /** Images whose label or mark differs from the original, by split (ascending index). */
  changedImages(split: DatasetSplit): { index: number; state: LabelState }[] {
    const out: { index: number; state: LabelState }[] = []
    for (const [k, state] of this.current) {
      const [s, i] = k.split(':')
      if (s === split) out.push({ index: Number(i), state })
    }
    return out.sort((a, b) => a.index - b.index)
  }

  /** The split's labels with corrections applied (a copy), and its marks. */
  correctedLabels(split: DatasetSplit): { labels: Uint8Array; marks: Map<number, Mark> } {
    const labels = this.original[split].slice()
    const marks = new Map<number, Mark>()
    for (const { index, state } of this.changedImages(split)) {
      labels[index] = state.label
      if (state.mark) marks.set(index, state.mark)
    }
    return { labels, marks }
  }

  summary(): { relabelled: number; ambiguous: number; excluded: number } {
    let relabelled = 0
    let ambiguous = 0
    let excluded = 0
    for (const [k, state] of this.current) {
      const [s, i] = k.split(':') as [DatasetSplit, string]
      if (state.label !== this.original[s][Number(i)]) relabelled++
      if (state.mark === 'ambiguous') ambiguous++
      if (state.mark === 'excluded') excluded++
    }
    return { relabelled, ambiguous, excluded }
  }

  private checkImage(split: DatasetSplit, index: number): void {
    const size = this.original[split].length
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new LabelError(
        `${split} image #${index} does not exist: the ${split} split has images #0 to #${size - 1}`
      )
    }
  }
}

function checkClass(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= NUM_CLASSES) {
    throw new LabelError(`class ${label} does not exist: classes are 0 to ${NUM_CLASSES - 1}`)
  }
}

function checkTarget(op: 'undo' | 'redo', actual: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== actual) {
    throw new LabelError(
      `nothing to ${op} at seq ${expected}: the newest correction to ${op} is seq ${actual} (made elsewhere meanwhile?)`
    )
  }
}
