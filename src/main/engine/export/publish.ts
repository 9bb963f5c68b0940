// Puts an export in place atomically: written under a temporary sibling name, fsynced, then linked or
// renamed to the final name, so a failed or killed export never leaves a partial file behind, and
// an existing file is replaced only when asked.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { link, mkdir, rename, rm, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { writeDurably } from '../models/model-dir'
import { ExportError } from './errors'

function sibling(out: string, what: string): string {
  return join(dirname(out), `.${basename(out)}.${what}-${randomBytes(4).toString('hex')}`)
}

function exists(out: string): ExportError {
  return new ExportError(
    `${out} already exists; choose another name or allow replacing it (--force)`
  )
}

/** Writes one file; returns its size. */
export async function publishFile(
  out: string,
  bytes: Uint8Array,
  overwrite: boolean
): Promise<number> {
  if (!overwrite && existsSync(out)) throw exists(out)
  await mkdir(dirname(out), { recursive: true })
  const tmp = sibling(out, 'partial')
  try {
    await writeDurably(tmp, bytes)
    if (overwrite) await rename(tmp, out)
    else {
      // link() fails if `out` appeared meanwhile, where rename() would silently replace it.
      await link(tmp, out).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? exists(out) : err
      })
      await unlink(tmp)
    }
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  return bytes.length
}

/** Writes a folder of files; returns their total size. */
export async function publishFolder(
  out: string,
  files: Record<string, Uint8Array>,
  overwrite: boolean
): Promise<number> {
  if (!overwrite && existsSync(out)) throw exists(out)
  await mkdir(dirname(out), { recursive: true })
  const tmp = sibling(out, 'partial')
  const old = sibling(out, 'old')
  await mkdir(tmp)
  try {
    for (const [name, bytes] of Object.entries(files)) await writeDurably(join(tmp, name), bytes)
    if (overwrite && existsSync(out)) await rename(out, old)
    await rename(tmp, out)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    // Put the previous export back if it was moved aside and the new one did not take its place.
    if (existsSync(old) && !existsSync(out)) await rename(old, out)
    throw err
  }
  await rm(old, { recursive: true, force: true })
  return Object.values(files).reduce((n, b) => n + b.length, 0)
}
