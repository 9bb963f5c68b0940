// The two ways a label correction can fail: the request itself is wrong (a class that does not
// exist, an image out of range, an edit based on a stale view), or the journal cannot be used as it
// is (corrupt, written for another dataset, locked by another process).

/** A correction that cannot be made as asked; nothing was written. */
export class LabelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LabelError'
  }
}

/** The journal file is unusable as it is; the message names the file and what to do. */
export class JournalError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string
  ) {
    super(`label journal ${file}: ${problem}`)
    this.name = 'JournalError'
  }
}
