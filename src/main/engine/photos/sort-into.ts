// --sort-into: puts each photo into <dir>/<class>/ (or _review/) without ever overwriting a file or
// losing one, even if the run is killed at any instant:
// - a final name is only ever created with link() (fails if the name exists) or, on file systems
//   without hard links, rename() after an existence check, from a complete, hidden temporary copy;
// - --move removes the original only after the photo is durable under its new name (same file
//   system: a hard link, so the data never moves at all);
// - on a name clash "coat.jpg" becomes "coat (2).jpg"; an identical file already there (a resumed
//   run) is reused instead of copied twice.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import {
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readFile,
  rename,
  stat,
  unlink
} from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'

export type SortMode = 'copy' | 'move'

/** Folder for photos under the low-confidence threshold. */
export const REVIEW_FOLDER = '_review'

/** A class name as a folder name on every OS ("T-shirt/top" -> "T-shirt_top"). */
export function classFolderName(className: string): string {
  return className.replace(/[/\\:*?"<>|]/g, '_').trim() || 'unnamed'
}

export class PhotoSorter {
  private readonly madeDirs = new Set<string>()

  constructor(
    readonly root: string,
    readonly mode: SortMode
  ) {}

  /** Places `src` into `folder` under root; returns its path relative to root ('/' separators). */
  async place(src: string, folder: string): Promise<string> {
    const dir = join(this.root, folder)
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true })
      this.madeDirs.add(dir)
    }
    const name = basename(src)
    const ext = extname(name)
    const stem = name.slice(0, name.length - ext.length)
    let temp: string | undefined
    // A hard link to a symlink would be the link itself (broken if relative): copy the photo instead.
    const direct = this.mode === 'move' && !(await lstat(src)).isSymbolicLink()
    try {
      for (let n = 1; ; n++) {
        const final = join(dir, n === 1 ? name : `${stem} (${n})${ext}`)
        if (direct && temp === undefined) {
          // Same file system: a hard link is the move, with no copy and no window without the file.
          const linked = await tryLink(src, final)
          if (linked === 'done') return this.finishMove(src, dir, final, folder)
          if (linked === 'exists') {
            if (await sameFile(src, final)) return this.finishMove(src, dir, final, folder)
            continue
          }
        }
        if (this.mode === 'copy' && (await identical(src, final))) return rel(folder, final)
        temp ??= await this.tempCopy(src, dir)
        const placed = await tryLink(temp, final)
        if (placed === 'exists') continue
        if (placed === 'unsupported' && !(await claimByRename(temp, final))) continue
        if (this.mode === 'move') return this.finishMove(src, dir, final, folder)
        return rel(folder, final)
      }
    } finally {
      if (temp) await unlink(temp).catch(() => undefined)
    }
  }

  /** A complete, durable copy under a hidden name that scans and users ignore. */
  private async tempCopy(src: string, dir: string): Promise<string> {
    const temp = join(dir, `.${basename(src)}.${randomBytes(4).toString('hex')}.partial`)
    await copyFile(src, temp, constants.COPYFILE_EXCL)
    if (this.mode === 'move') await syncPath(temp)
    return temp
  }

  private async finishMove(src: string, dir: string, final: string, folder: string) {
    await syncPath(dir)
    await unlink(src)
    await syncPath(dirname(src))
    return rel(folder, final)
  }
}

type LinkOutcome = 'done' | 'exists' | 'unsupported'

async function tryLink(from: string, to: string): Promise<LinkOutcome> {
  try {
    await link(from, to)
    return 'done'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return 'exists'
    // Another device, or a file system without hard links (FAT, exFAT, some network shares).
    if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP')
      return 'unsupported'
    throw err
  }
}

/** rename() replaces silently, so check first; only another program racing us could slip in. */
async function claimByRename(temp: string, final: string): Promise<boolean> {
  if (
    await lstat(final).then(
      () => true,
      () => false
    )
  )
    return false
  await rename(temp, final)
  return true
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)])
  return sa.dev === sb.dev && sa.ino === sb.ino
}

/** Same bytes (only read when the sizes match). */
async function identical(a: string, b: string): Promise<boolean> {
  const sb = await stat(b).catch(() => undefined)
  if (!sb) return false
  const sa = await stat(a)
  if (sa.size !== sb.size) return false
  const [ba, bb] = await Promise.all([readFile(a), readFile(b)])
  return ba.equals(bb)
}

/** fsync a file or folder; folders cannot be opened on Windows, where NTFS journals the rename. */
async function syncPath(path: string): Promise<void> {
  const fh = await open(path, 'r').catch(() => undefined)
  if (!fh) return
  try {
    await fh.sync().catch(() => undefined)
  } finally {
    await fh.close()
  }
}

function rel(folder: string, final: string): string {
  return `${folder}/${basename(final)}`
}
