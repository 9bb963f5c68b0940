// An exclusive lock between processes (the studio, `fashion-studio labels ...`, scripts) on one
// workspace: a lock file that only one can create, held only while one correction is appended (a few
// milliseconds), so two processes take turns instead of one locking the other out for its lifetime.
// The owner is written to a private file first and hard-linked into place (link fails if the lock
// exists), so a lock file always names its owner: one killed between creating and writing it can
// never leave an empty lock behind. A lock left by a process that died (kill -9, power cut) is
// recognised and broken: its process is gone, it was made before the last boot, it cannot be read,
// or it is far older than any append takes.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { link, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { JournalError } from './errors'

interface Owner {
  pid: number
  host: string
  boot: string | null
  token: string
  since: string
}

export interface LockOptions {
  /** Give up (with a clear error) after this long. */
  timeoutMs?: number
  /** A lock older than this is stale whatever its process: appends take milliseconds. */
  staleMs?: number
}

const BOOT_ID = readBootId()

/** Runs `fn` holding the lock file; always releases it, even when `fn` throws. */
export async function withFileLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  options: LockOptions = {}
): Promise<T> {
  const owner = await acquire(lockFile, options)
  try {
    return await fn()
  } finally {
    await release(lockFile, owner)
  }
}

async function acquire(lockFile: string, o: LockOptions): Promise<Owner> {
  const timeoutMs = o.timeoutMs ?? 5000
  const staleMs = o.staleMs ?? 30_000
  const owner: Owner = {
    pid: process.pid,
    host: hostname(),
    boot: BOOT_ID,
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString()
  }
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(lockFile, owner)) return owner
    const seen = await readLock(lockFile)
    if (seen === null) continue // released between our two calls: try again at once
    if (isStale(seen, staleMs)) {
      await breakLock(lockFile, seen.text)
      continue
    }
    if (Date.now() > deadline) {
      const who = seen.owner
        ? `process ${seen.owner.pid} on ${seen.owner.host} since ${seen.owner.since}`
        : 'another process'
      throw new JournalError(
        lockFile,
        `locked by ${who}; another writer is saving corrections (try again, or close it)`
      )
    }
    await sleep(Math.min(50, 5 + attempt * 5))
  }
}

/** Creates the lock with its owner in it, atomically; false when it exists. */
async function tryCreate(lockFile: string, owner: Owner): Promise<boolean> {
  const mine = `${lockFile}.${owner.token}`
  await writeFile(mine, JSON.stringify(owner))
  try {
    await link(mine, lockFile)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
    // File systems without hard links: O_EXCL, with the owner written just after.
    try {
      const fh = await open(lockFile, 'wx')
      try {
        await fh.writeFile(JSON.stringify(owner))
      } finally {
        await fh.close()
      }
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw e
    }
  } finally {
    await unlink(mine).catch(() => undefined)
  }
}

async function release(lockFile: string, owner: Owner): Promise<void> {
  // Only our own lock: if it was (wrongly) broken and taken by another, leave theirs alone.
  const seen = await readLock(lockFile)
  if (seen?.owner?.token === owner.token) await unlink(lockFile).catch(() => undefined)
}

async function readLock(
  lockFile: string
): Promise<{ text: string; owner: Owner | null; ageMs: number } | null> {
  try {
    const [text, info] = await Promise.all([readFile(lockFile, 'utf8'), stat(lockFile)])
    let owner: Owner | null = null
    try {
      owner = JSON.parse(text) as Owner
    } catch {
      // Locks are written whole before they appear (see tryCreate): only a crash leaves this.
    }
    return { text, owner, ageMs: Date.now() - info.mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function isStale(seen: { owner: Owner | null; ageMs: number }, staleMs: number): boolean {
  if (seen.ageMs > staleMs) return true
  const o = seen.owner
  if (!o) return true
  if (o.host !== hostname()) return false
  if (o.boot && BOOT_ID && o.boot !== BOOT_ID) return true
  return !processAlive(o.pid)
}

/**
 * Removes a stale lock without removing a fresh one someone took meanwhile: the file is first moved
 * aside atomically, and put back if it turns out not to be the one judged stale.
 */
async function breakLock(lockFile: string, staleText: string): Promise<void> {
  const aside = `${lockFile}.stale-${randomBytes(4).toString('hex')}`
  try {
    await rename(lockFile, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  const text = await readFile(aside, 'utf8').catch(() => staleText)
  if (text !== staleText) await link(aside, lockFile).catch(() => undefined)
  await unlink(aside).catch(() => undefined)
  await removeStrays(lockFile)
}

/**
 * A process killed while creating its lock leaves its private file (lock.<token>); such files live
 * for a moment only, so any older than a second are a dead process's and are removed.
 */
async function removeStrays(lockFile: string): Promise<void> {
  const prefix = `${basename(lockFile)}.`
  const names = await readdir(dirname(lockFile)).catch(() => [] as string[])
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    const file = join(dirname(lockFile), name)
    const info = await stat(file).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > 1000) await unlink(file).catch(() => undefined)
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    return null
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
