// What classify records per file, and the CSV it is written to. Rows are appended in one write per
// batch (never a partial line from this process) and fsynced at most once a second, so an
// interrupted run leaves complete lines, and a killed one at most a torn last line, which
// --resume cuts off before appending.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { open, readFile, stat } from 'node:fs/promises'
import { csvLine, parseCsv } from './csv'
import type { PhotoErrorCode } from './errors'

export interface ClassProbability {
  class: string
  probability: number
}

export interface PhotoResult {
  /** Path relative to the classified folder, with '/' separators. */
  file: string
  status: 'ok' | 'skipped'
  class?: string
  confidence?: number
  lowConfidence?: boolean
  top3?: ClassProbability[]
  /** Why the file was skipped. */
  reason?: string
  code?: PhotoErrorCode
  /** Where --sort-into put it, relative to that folder. */
  sortedTo?: string
  /** The 28x28 model input, only with classifyFolder's keepPixels (never in the CSV). */
  pixels?: Uint8Array
}

export const CSV_COLUMNS = [
  'file',
  'status',
  'class',
  'confidence',
  'low_confidence',
  'class_2',
  'confidence_2',
  'class_3',
  'confidence_3',
  'reason',
  'sorted_to'
] as const

export function resultToCsv(r: PhotoResult): string {
  const t = r.top3 ?? []
  const p = (x: number | undefined): string => (x === undefined ? '' : x.toFixed(4))
  return csvLine([
    r.file,
    r.status,
    r.class ?? '',
    p(r.confidence),
    r.lowConfidence === undefined ? '' : r.lowConfidence ? 'yes' : 'no',
    t[1]?.class ?? '',
    p(t[1]?.probability),
    t[2]?.class ?? '',
    p(t[2]?.probability),
    r.reason ?? '',
    r.sortedTo ?? ''
  ])
}

export class ResultsFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ResultsFileError'
  }
}

export interface OpenedResults {
  file: ResultsFile
  /** Files already in the CSV (resume): not classified again. */
  done: Set<string>
  /** Bytes of a torn last line cut off (0 when the file ended cleanly). */
  repairedBytes: number
}

export class ResultsFile {
  private lastSync = 0

  private constructor(
    readonly path: string,
    private fd: number | undefined
  ) {}

  /** A new CSV (refusing to replace one), or with `resume` the existing one, repaired, to append to. */
  static async open(path: string, options: { resume: boolean }): Promise<OpenedResults> {
    const exists = await stat(path).then(
      () => true,
      () => false
    )
    const header = csvLine([...CSV_COLUMNS])
    if (!exists || !options.resume) {
      if (exists) {
        throw new ResultsFileError(
          `${path} already exists: pass --resume to continue that run, or choose another --out`
        )
      }
      const fd = openSync(path, 'ax')
      writeAll(fd, header)
      fsyncSync(fd)
      return { file: new ResultsFile(path, fd), done: new Set(), repairedBytes: 0 }
    }
    const bytes = await readFile(path)
    const { records, completeLength } = parseCsv(bytes.toString('utf8'))
    const keep = Buffer.byteLength(bytes.toString('utf8').slice(0, completeLength))
    const [first, ...rows] = records
    if (first && first.join(',') !== CSV_COLUMNS.join(',')) {
      throw new ResultsFileError(`${path} is not a classify results file (unexpected header)`)
    }
    // Cut a torn last line (or a torn header) before appending after it.
    const fh = await open(path, 'r+')
    await fh.truncate(keep)
    await fh.sync()
    await fh.close()
    const fd = openSync(path, 'a')
    if (!first) writeAll(fd, header)
    const done = new Set<string>()
    for (const row of rows) if (row.length === CSV_COLUMNS.length && row[0]) done.add(row[0])
    return { file: new ResultsFile(path, fd), done, repairedBytes: bytes.length - keep }
  }

  /** Appends rows in one write; synchronous so that no signal can interleave a half-written line. */
  append(results: PhotoResult[]): void {
    if (this.fd === undefined || results.length === 0) return
    writeAll(this.fd, results.map(resultToCsv).join(''))
    const now = performance.now()
    if (now - this.lastSync > 1000) {
      fsyncSync(this.fd)
      this.lastSync = now
    }
  }

  close(): void {
    if (this.fd === undefined) return
    fsyncSync(this.fd)
    closeSync(this.fd)
    this.fd = undefined
  }
}

/** writeSync until every byte is out (a regular file may, rarely, take fewer bytes per call). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text)
  let offset = 0
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset)
}
