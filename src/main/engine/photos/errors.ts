// Why a photo could not be classified. Every failure of the photo pipeline is a PhotoError with a
// short code (for summary counts) and a sentence a merchandiser can act on.

export type PhotoErrorCode =
  | 'empty'
  | 'not-image'
  | 'unsupported'
  | 'truncated'
  | 'corrupt'
  | 'too-large'
  | 'blank'
  | 'unreadable'
  | 'not-a-file'
  | 'symlink-loop'
  | 'bad-name'

export class PhotoError extends Error {
  constructor(
    readonly code: PhotoErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'PhotoError'
  }
}

/** A PhotoError for a failed file-system call, from its errno code. */
export function fileSystemError(err: unknown): PhotoError {
  const code = (err as NodeJS.ErrnoException).code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new PhotoError('unreadable', 'unreadable: permission denied')
    case 'ENOENT':
      return new PhotoError('unreadable', 'unreadable: file vanished or is a broken symlink')
    case 'ELOOP':
      return new PhotoError('symlink-loop', 'symlink loop')
    case 'EISDIR':
      return new PhotoError('not-a-file', 'not a regular file (a folder)')
    default:
      return new PhotoError(
        'unreadable',
        `unreadable: ${code ?? (err instanceof Error ? err.message : String(err))}`
      )
  }
}
