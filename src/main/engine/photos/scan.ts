// Walks a folder of photos recursively as a stream (one directory listing in memory at a time, so
// 100,000 files cost no more than 100), in a stable order (names sorted per folder). Symlinks are
// followed, but a folder is entered once: a link back to an ancestor (a loop) is reported, not
// followed forever. Anything that is not a photo candidate is reported, never thrown.
import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { fileSystemError, PhotoError } from './errors'

/** Extensions of the formats classify decodes. */
export const PHOTO_EXTENSIONS = new Set([
  'jpg',
  'jpeg',
  'jpe',
  'jfif',
  'png',
  'webp',
  'gif',
  'tif',
  'tiff',
  'avif'
])

/** Image formats we do not decode: listed in the results as skipped, so nobody wonders where they went. */
export const OTHER_IMAGE_EXTENSIONS = new Set([
  'bmp',
  'dib',
  'heic',
  'heif',
  'svg',
  'psd',
  'ico',
  'jxl',
  'jp2',
  'j2k',
  'cr2',
  'cr3',
  'nef',
  'arw',
  'dng',
  'orf',
  'rw2',
  'raf',
  'tga',
  'ppm',
  'pgm',
  'pbm',
  'pnm',
  'exr',
  'hdr',
  'pcx'
])

export type ScanEntry =
  /** A file to classify (its content decides whether it really is a photo). */
  | { kind: 'photo'; path: string; rel: string }
  /** A would-be photo that cannot be read at all (loop, broken link, bad name, folder unreadable). */
  | { kind: 'skip'; rel: string; error: PhotoError }
  /** Not a photo by name (hidden files, .txt, .csv, ...): counted, not listed. */
  | { kind: 'ignored'; rel: string }

export interface ScanOptions {
  /** Folders never entered (e.g. the --sort-into folder inside the photo folder). */
  exclude?: string[]
  /** Files passed over without a word (the results CSV inside the photo folder). */
  excludeFiles?: string[]
}

/** Is `name` a photo candidate by its extension? */
export function isImageName(name: string): boolean {
  const ext = extname(name).slice(1).toLowerCase()
  return PHOTO_EXTENSIONS.has(ext) || OTHER_IMAGE_EXTENSIONS.has(ext)
}

export async function* scanPhotos(
  root: string,
  options: ScanOptions = {}
): AsyncGenerator<ScanEntry> {
  const visited = new Set<string>([await folderKey(root)])
  for (const dir of options.exclude ?? []) {
    const key = await folderKey(dir).catch(() => undefined)
    if (key) visited.add(key)
  }
  const quiet = new Set((options.excludeFiles ?? []).map((f) => resolve(f)))
  const stack: { path: string; rel: string }[] = [{ path: root, rel: '' }]
  while (stack.length > 0) {
    const dir = stack.pop()!
    let entries: Dirent[]
    try {
      entries = await readdir(dir.path, { withFileTypes: true })
    } catch (err) {
      const e = fileSystemError(err)
      yield {
        kind: 'skip',
        rel: `${dir.rel}/`,
        error: new PhotoError(e.code, `folder ${e.message}`)
      }
      continue
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const subfolders: { path: string; rel: string }[] = []
    for (const entry of entries) {
      const path = join(dir.path, entry.name)
      const rel = dir.rel ? `${dir.rel}/${entry.name}` : entry.name
      if (quiet.has(resolve(path))) continue
      // Hidden files include macOS's "._photo.jpg" resource forks, which are not photos.
      if (entry.name.startsWith('.')) {
        yield { kind: 'ignored', rel }
        continue
      }
      const image = isImageName(entry.name)
      let isDir = entry.isDirectory()
      let isFile = entry.isFile()
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(path)
          isDir = target.isDirectory()
          isFile = target.isFile()
        } catch (err) {
          if (image || (err as NodeJS.ErrnoException).code === 'ELOOP')
            yield { kind: 'skip', rel, error: fileSystemError(err) }
          else yield { kind: 'ignored', rel }
          continue
        }
      }
      if (isDir) {
        const key = await folderKey(path).catch(() => undefined)
        if (key && visited.has(key)) {
          // Either a loop (a link to an ancestor) or a second link to a folder already walked.
          if (entry.isSymbolicLink())
            yield {
              kind: 'skip',
              rel: `${rel}/`,
              error: new PhotoError(
                'symlink-loop',
                'symlink loop: links to a folder already scanned'
              )
            }
          continue
        }
        if (key) visited.add(key)
        subfolders.push({ path, rel })
      } else if (!image) {
        yield { kind: 'ignored', rel }
      } else if (entry.name.includes('\uFFFD')) {
        // Node decoded a name that is not valid UTF-8: the string no longer names the file.
        yield {
          kind: 'skip',
          rel,
          error: new PhotoError('bad-name', 'file name is not valid UTF-8')
        }
      } else if (!isFile) {
        yield { kind: 'skip', rel, error: new PhotoError('not-a-file', 'not a regular file') }
      } else {
        yield { kind: 'photo', path, rel }
      }
    }
    // Depth first, in name order: push in reverse so the first subfolder is walked next.
    for (let i = subfolders.length - 1; i >= 0; i--) stack.push(subfolders[i]!)
  }
}

/** Photo candidates (photos and skips) in the folder: the progress bar's total. */
export async function countCandidates(root: string, options: ScanOptions = {}): Promise<number> {
  let n = 0
  for await (const entry of scanPhotos(root, options)) if (entry.kind !== 'ignored') n++
  return n
}

async function folderKey(path: string): Promise<string> {
  const s = await stat(path)
  return `${s.dev}:${s.ino}`
}
