// The label corrections of one dataset in one workspace, for the studio and the command line: the
// journal opened against the dataset's labels, with corrections made one at a time (in this process)
// and under the journal's lock (between processes).
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { CorrectionEntry, DatasetSplit, LabelState, SetReason } from '@shared/labels'
import type { FashionMnist } from '../data/fashion-mnist'
import type { Corrections, LabelChange } from './corrections'
import { LabelJournal, type Recovery } from './journal'
import type { LockOptions } from './file-lock'

export const FASHION_MNIST_DATASET = 'fashion-mnist'

export function labelsDir(workspace: string): string {
  return join(workspace, 'labels')
}

export function journalFile(workspace: string, datasetId = FASHION_MNIST_DATASET): string {
  return join(labelsDir(workspace), `${datasetId}.jsonl`)
}

const fingerprints = new WeakMap<FashionMnist, string>()

/**
 * SHA-256 of the dataset's decompressed content (images and labels of both splits): the same for
 * every copy of the same files, whatever their compression, and different as soon as any image or
 * label differs, so a journal never applies to images it was not made for.
 */
export function datasetFingerprint(data: FashionMnist): string {
  let fp = fingerprints.get(data)
  if (!fp) {
    const h = createHash('sha256')
    for (const split of [data.train, data.test]) {
      h.update(`${split.count}:`)
      h.update(split.images)
      h.update(split.labels)
    }
    fp = `sha256:${h.digest('hex').slice(0, 32)}`
    fingerprints.set(data, fp)
  }
  return fp
}

export interface LabelStatus {
  file: string
  entries: number
  relabelled: number
  ambiguous: number
  excluded: number
  canUndo: boolean
  canRedo: boolean
  /** The seq an undo / redo would act on. */
  undoSeq: number | null
  redoSeq: number | null
  recovery: Recovery | null
}

export class LabelStore {
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(readonly journal: LabelJournal) {}

  static async open(
    workspace: string,
    data: FashionMnist,
    options: { datasetId?: string; lock?: LockOptions } = {}
  ): Promise<LabelStore> {
    const dataset = options.datasetId ?? FASHION_MNIST_DATASET
    const journal = await LabelJournal.open({
      file: journalFile(workspace, dataset),
      dataset,
      fingerprint: datasetFingerprint(data),
      original: { train: data.train.labels, test: data.test.labels },
      lock: options.lock
    })
    return new LabelStore(journal)
  }

  get corrections(): Corrections {
    return this.journal.corrections
  }

  /** Catches up with corrections other processes saved (a stat when there are none). */
  refresh(): Promise<void> {
    return this.serial(() => this.journal.refresh())
  }

  /** Saves a correction; resolves once it is on disk. */
  set(
    split: DatasetSplit,
    index: number,
    change: LabelChange,
    reason: SetReason = 'manual',
    expected?: LabelState
  ): Promise<CorrectionEntry> {
    return this.serial(async () => {
      const entry = await this.journal.append((c) =>
        c.planSet(split, index, change, reason, expected)
      )
      return entry as CorrectionEntry
    })
  }

  /** Takes back the newest correction in force; null when there is none. */
  undo(expectedTarget?: number): Promise<CorrectionEntry | null> {
    return this.serial(() => this.journal.append((c) => c.planUndo(expectedTarget)))
  }

  redo(expectedTarget?: number): Promise<CorrectionEntry | null> {
    return this.serial(() => this.journal.append((c) => c.planRedo(expectedTarget)))
  }

  status(): LabelStatus {
    const c = this.corrections
    return {
      file: this.journal.file,
      entries: c.entries.length,
      ...c.summary(),
      canUndo: c.canUndo,
      canRedo: c.canRedo,
      undoSeq: c.undoTarget?.seq ?? null,
      redoSeq: c.redoTarget?.seq ?? null,
      recovery: this.journal.recovery
    }
  }

  /** One operation at a time in this process: entries get their seqs in the order asked. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => undefined)
    return next
  }
}
