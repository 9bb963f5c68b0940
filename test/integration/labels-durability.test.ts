// kill -9 at random moments while corrections are being saved: a child process (the real
// `fashion-studio labels import`) appends corrections in a loop and prints "saved seq N" once each
// is fsync'd; it is killed with SIGKILL mid-stream, 30 times over. After every kill the journal must
// open cleanly (a torn last line, if any, cut away; the dead process's lock broken) and hold every
// seq that was acknowledged. A SIGKILL loses no page cache, so this tests the protocol (write, fsync,
// then acknowledge; recovery; locking), not the disk.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadFashionMnist } from '../../src/main/engine/data/fashion-mnist'
import { LabelStore } from '../../src/main/engine/labels/label-store'
import { writeTinyDataset } from '../helpers/tiny-dataset'

const ROUNDS = 30
let tmp: string
let dataDir: string
let csv: string

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-kill-'))
  dataDir = await writeTinyDataset(join(tmp, 'data'))
  // Every row changes its image (the label moves on by one per pass), so every row is an append.
  const rows = Array.from({ length: 4000 }, (_, k) => {
    const index = k % 100
    return `train,${index},${(index + 1 + Math.floor(k / 100)) % 10}`
  })
  csv = join(tmp, 'rows.csv')
  await writeFile(csv, ['split,index,label', ...rows].join('\n'))
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

/** Runs the importer and SIGKILLs it after `afterAcks` acknowledgements (+ a random instant). */
function importUntilKilled(
  workspace: string,
  afterAcks: number
): Promise<{ acked: number[]; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [
      resolve('bin/fashion-studio.cjs'),
      'labels',
      'import',
      csv,
      '--data',
      dataDir,
      '--workspace',
      workspace
    ])
    const acked: number[] = []
    let out = ''
    let killing = false
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const lines = out.split('\n')
      out = lines.pop() ?? ''
      for (const l of lines) {
        const m = /^saved seq (\d+)$/.exec(l)
        if (m) acked.push(Number(m[1]))
      }
      if (!killing && acked.length >= afterAcks) {
        killing = true
        // A random instant: between two appends, mid-write, mid-fsync, holding the lock or not.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 4)
      }
    })
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`importer ended by itself (${code}): ${err}`))
      else resolvePromise({ acked, stderr: err })
    })
  })
}

describe('corrections survive kill -9', () => {
  it(`loses no acknowledged correction and opens cleanly after ${ROUNDS} kills`, async () => {
    const workspace = join(tmp, 'ws')
    const data = await loadFashionMnist(dataDir)
    const acknowledged = new Set<number>()
    let recoveries = 0
    const journal = join(workspace, 'labels', 'fashion-mnist.jsonl')
    for (let round = 0; round < ROUNDS; round++) {
      // Every fifth round starts from a torn last line, as a power cut mid-write would leave.
      if (round % 5 === 4) await appendFile(journal, '{"v":1,"seq":99999,"ts":"20')
      const { acked, stderr } = await importUntilKilled(
        workspace,
        1 + Math.floor(Math.random() * 25)
      )
      if (round % 5 === 4) expect(stderr).toMatch(/cut away a torn last line \(27 bytes\)/)
      if (/torn last line/.test(stderr)) recoveries++
      acked.forEach((s) => acknowledged.add(s))
      const store = await LabelStore.open(workspace, data)
      if (store.status().recovery) recoveries++ // killed mid-write
      const seqs = store.corrections.entries.map((e) => e.seq)
      expect(seqs).toEqual(seqs.map((_, i) => i + 1))
      for (const s of acknowledged) expect(s).toBeLessThanOrEqual(seqs.length)
    }
    // The last importer may have died holding the lock: the next writer breaks it and releases its own.
    const store = await LabelStore.open(workspace, data)
    const next = store.corrections.stateOf('train', 0).label === 0 ? 1 : 0
    expect((await store.set('train', 0, { label: next })).seq).toBeGreaterThan(
      acknowledged.size - 1
    )
    expect(existsSync(`${journal}.lock`)).toBe(false)
    const text = await readFile(journal, 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    expect(acknowledged.size).toBeGreaterThan(ROUNDS)
    expect(recoveries).toBeGreaterThanOrEqual(ROUNDS / 5)
    console.log(
      `kill -9 x${ROUNDS}: ${acknowledged.size} acknowledged corrections, all present; ${recoveries} torn tails cut away`
    )
  }, 120_000)
})
