// The corrections journal: <workspace>/labels/<dataset>.jsonl, one JSON object per line, only ever
// appended to. An append is written and fsync'd before it returns, so a correction reported as saved
// survives a power cut or kill -9. A crash mid-write can leave at most a torn last line (no newline):
// it was never acknowledged, and it is cut away, under the lock, the next time the journal is opened
// or written. Anything else that does not parse, or that does not fit the dataset, is an error that
// names the line, never something silently skipped. Undo and redo are entries too: history is never
// rewritten.
import { existsSync } from 'node:fs'
import { mkdir, open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { MARKS, type CorrectionEntry } from '@shared/labels'
import { Corrections, type OriginalLabels, type PlannedEntry } from './corrections'
import { JournalError, LabelError } from './errors'
import { withFileLock, type LockOptions } from './file-lock'

export const JOURNAL_FORMAT = 1

const StateSchema = z.object({
  label: z.number().int().min(0).max(255),
  mark: z.enum(MARKS).nullable()
})
const LineSchema = z
  .object({
    v: z.literal(JOURNAL_FORMAT),
    seq: z.number().int().min(1),
    ts: z.string().min(1),
    dataset: z.string().min(1),
    fp: z.string().min(1),
    op: z.enum(['set', 'undo', 'redo']),
    target: z.number().int().min(1).optional(),
    split: z.enum(['train', 'test']),
    index: z.number().int().min(0),
    old: StateSchema,
    new: StateSchema,
    reason: z.enum(['manual', 'suggestion', 'undo', 'redo'])
  })
  .refine((l) => (l.op === 'set') === (l.target === undefined), {
    message: 'undo and redo entries (only) name a target'
  })

export interface JournalOptions {
  file: string
  /** Dataset id, stored on every line. */
  dataset: string
  /** Fingerprint of the dataset's content: a journal written for other files is refused. */
  fingerprint: string
  original: OriginalLabels
  lock?: LockOptions
}

/** A torn last line cut away on open or before a write. */
export interface Recovery {
  droppedBytes: number
  /** Byte offset where the journal now ends. */
  at: number
}

export class LabelJournal {
  readonly corrections: Corrections
  recovery: Recovery | null = null
  /** Bytes of complete lines read so far. */
  private offset = 0
  private lines = 0

  private constructor(private readonly o: JournalOptions) {
    this.corrections = new Corrections(o.original)
  }

  get file(): string {
    return this.o.file
  }

  /** Reads the journal (a missing one is empty), cutting away a torn last line if there is one. */
  static async open(o: JournalOptions): Promise<LabelJournal> {
    const journal = new LabelJournal(o)
    const torn = await journal.readNew()
    if (torn > 0) await journal.locked(async () => undefined)
    return journal
  }

  /** Takes in what other processes appended since the last read (a cheap stat when nothing). */
  async refresh(): Promise<void> {
    await this.readNew()
  }

  /**
   * Appends the entry `plan` makes from the current state, durably, under the lock; `plan` runs
   * after catching up with other writers, so it sees the latest state. Resolves once the entry is
   * on disk (fsync'd); null when `plan` has nothing to write.
   */
  async append(plan: (c: Corrections) => PlannedEntry | null): Promise<CorrectionEntry | null> {
    return this.locked(async () => {
      const planned = plan(this.corrections)
      if (!planned) return null
      const entry: CorrectionEntry = {
        seq: this.corrections.entries.length + 1,
        ts: new Date().toISOString(),
        ...planned
      }
      // Checked before it is written: an entry that would not replay must never reach the file.
      const problem = this.corrections.problemWith(entry)
      if (problem) throw new LabelError(problem)
      const line = { v: JOURNAL_FORMAT, dataset: this.o.dataset, fp: this.o.fingerprint, ...entry }
      const bytes = Buffer.from(JSON.stringify(orderKeys(line)) + '\n', 'utf8')
      try {
        await this.writeDurably(bytes)
      } catch (err) {
        throw new JournalError(
          this.o.file,
          `could not save seq ${entry.seq} (${(err as Error).message}): the correction was not made`
        )
      }
      this.offset += bytes.length
      this.lines++
      this.corrections.apply(entry)
      return entry
    })
  }

  /** Under the lock: catch up with the file (cutting a torn tail: no one else is writing). */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const dir = dirname(this.o.file)
    // The lock lives beside the journal; a new labels folder's name is made durable too.
    if (await mkdir(dir, { recursive: true })) await syncDir(dirname(dir))
    return withFileLock(
      `${this.o.file}.lock`,
      async () => {
        const torn = await this.readNew()
        if (torn > 0) await this.cutTornTail(torn)
        return fn()
      },
      this.o.lock
    )
  }

  /** Reads complete lines past `offset`; returns the length of an incomplete tail (0 if none). */
  private async readNew(): Promise<number> {
    const size = await stat(this.o.file).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return 0
        throw err
      }
    )
    if (size < this.offset) {
      throw new JournalError(
        this.o.file,
        `shrank from ${this.offset} to ${size} bytes while in use: it was replaced or cut by hand; restart to read it afresh`
      )
    }
    if (size === this.offset) return 0
    const fh = await open(this.o.file, 'r')
    let chunk: Buffer
    try {
      chunk = Buffer.alloc(size - this.offset)
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, this.offset)
      chunk = chunk.subarray(0, bytesRead)
    } finally {
      await fh.close()
    }
    const end = chunk.lastIndexOf(0x0a) + 1
    let start = 0
    while (start < end) {
      const nl = chunk.indexOf(0x0a, start)
      this.take(chunk.subarray(start, nl).toString('utf8'))
      this.offset += nl + 1 - start
      start = nl + 1
    }
    return chunk.length - end
  }

  private take(text: string): void {
    const lineNo = this.lines + 1
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw this.damaged(lineNo, 'is not valid JSON (the file is damaged)')
    }
    const parsed = LineSchema.safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue?.path.join('.') || '(line)'
      throw this.damaged(lineNo, `is not a journal entry: ${where} ${issue?.message ?? ''}`)
    }
    const { v, dataset, fp, ...entry } = parsed.data
    if (v !== JOURNAL_FORMAT || dataset !== this.o.dataset || fp !== this.o.fingerprint) {
      throw new JournalError(
        this.o.file,
        `was written for another version of the dataset (line ${lineNo}: ${dataset} ${fp}; the files now read are ${this.o.dataset} ${this.o.fingerprint}): its corrections may not refer to these images. Use the dataset folder it was made with (--data), or move the journal aside to start afresh`
      )
    }
    const problem = this.corrections.problemWith(entry)
    if (problem) throw this.damaged(lineNo, `does not fit: ${problem}`)
    this.corrections.apply(entry)
    this.lines++
  }

  private damaged(lineNo: number, problem: string): JournalError {
    return new JournalError(
      this.o.file,
      `line ${lineNo} ${problem}; the ${lineNo - 1} lines before it are intact (restore the file from a backup, or cut it before line ${lineNo} to keep them)`
    )
  }

  private async cutTornTail(bytes: number): Promise<void> {
    const fh = await open(this.o.file, 'r+')
    try {
      await fh.truncate(this.offset)
      await fh.sync()
    } finally {
      await fh.close()
    }
    this.recovery = { droppedBytes: bytes, at: this.offset }
  }

  private async writeDurably(bytes: Buffer): Promise<void> {
    const created = !existsSync(this.o.file)
    const fh = await open(this.o.file, 'a')
    try {
      let done = 0
      try {
        while (done < bytes.length) {
          const { bytesWritten } = await fh.write(bytes, done, bytes.length - done)
          done += bytesWritten
        }
        await fh.sync()
      } catch (err) {
        // Leave no partial line in the middle of the journal for the next entry to follow.
        await fh.truncate(this.offset).catch(() => undefined)
        throw err
      }
    } finally {
      await fh.close()
    }
    // A new file's name must be durable too, not only its content.
    if (created) await syncDir(dirname(this.o.file))
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } catch {
    // Some file systems cannot fsync a directory; the data itself is already on disk.
  } finally {
    await fh.close()
  }
}

/** Fixed key order, so lines read well: seq first, then what changed. */
function orderKeys(l: CorrectionEntry & { v: number; dataset: string; fp: string }): object {
  return {
    v: l.v,
    seq: l.seq,
    ts: l.ts,
    op: l.op,
    ...(l.target !== undefined && { target: l.target }),
    split: l.split,
    index: l.index,
    old: l.old,
    new: l.new,
    reason: l.reason,
    dataset: l.dataset,
    fp: l.fp
  }
}
