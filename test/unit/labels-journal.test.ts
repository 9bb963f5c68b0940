// The corrections journal on real files: what is saved, undo/redo as entries, recovery from a torn
// last line, and the clear errors for everything else.
// Bad inputs tried: a class that does not exist, an image out of range, an edit based on a stale
// view (two windows), a journal written for other dataset files, a damaged middle line, a line that
// does not fit the labels, a stale lock left by a dead process, a lock held by a live one.
import { existsSync } from 'node:fs'
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Corrections } from '../../src/main/engine/labels/corrections'
import { JournalError, LabelError } from '../../src/main/engine/labels/errors'
import { historyCsv, filterHistory } from '../../src/main/engine/labels/history'
import { LabelJournal, type JournalOptions } from '../../src/main/engine/labels/journal'

let root: string
let n = 0
const original = {
  train: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
  test: Uint8Array.of(9, 8)
}

function options(patch: Partial<JournalOptions> = {}): JournalOptions {
  return {
    file: join(root, `j${n++}`, 'fashion-mnist.jsonl'),
    dataset: 'fashion-mnist',
    fingerprint: 'sha256:aaaa',
    original,
    ...patch
  }
}

const set = (j: LabelJournal, index: number, label: number) =>
  j.append((c) => c.planSet('train', index, { label }, 'manual'))

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fs-journal-'))
})
afterAll(() => rm(root, { recursive: true, force: true }))

describe('label journal', () => {
  it('saves each correction as one line with seq, dataset fingerprint, old, new, reason, time', async () => {
    const o = options()
    const j = await LabelJournal.open(o)
    expect(existsSync(o.file)).toBe(false)
    const e = await j.append((c) => c.planSet('train', 6, { label: 0 }, 'suggestion'))
    await j.append((c) => c.planSet('test', 1, { mark: 'excluded' }, 'manual'))
    const lines = (await readFile(o.file, 'utf8')).trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(JSON.parse(lines[0]!)).toMatchObject({
      v: 1,
      seq: 1,
      op: 'set',
      split: 'train',
      index: 6,
      old: { label: 6, mark: null },
      new: { label: 0, mark: null },
      reason: 'suggestion',
      dataset: 'fashion-mnist',
      fp: 'sha256:aaaa'
    })
    expect(Date.parse(e!.ts)).toBeGreaterThan(Date.now() - 60_000)
    const again = await LabelJournal.open(o)
    expect(again.corrections.stateOf('train', 6)).toEqual({ label: 0, mark: null })
    expect(again.corrections.stateOf('test', 1)).toEqual({ label: 8, mark: 'excluded' })
    expect(again.corrections.summary()).toEqual({ relabelled: 1, ambiguous: 0, excluded: 1 })
  })

  it('undoes and redoes with entries of their own, never rewriting history', async () => {
    const o = options()
    const j = await LabelJournal.open(o)
    await set(j, 1, 7)
    await set(j, 2, 7)
    const u1 = await j.append((c) => c.planUndo())
    expect(u1).toMatchObject({ op: 'undo', target: 2, index: 2, new: { label: 2 } })
    await j.append((c) => c.planUndo())
    expect(j.corrections.stateOf('train', 1).label).toBe(1)
    const r = await j.append((c) => c.planRedo())
    expect(r).toMatchObject({ op: 'redo', target: 1, new: { label: 7 } })
    // A new correction clears what could be redone; seq 2 stays undone in the history.
    await set(j, 3, 0)
    expect(j.corrections.canRedo).toBe(false)
    expect(await j.append((c) => c.planRedo())).toBeNull()
    const reopened = await LabelJournal.open(o)
    const rows = reopened.corrections.rows()
    expect(rows.map((x) => x.op)).toEqual(['set', 'set', 'undo', 'undo', 'redo', 'set'])
    expect(rows.find((x) => x.seq === 2)!.undone).toBe(true)
    expect(rows.find((x) => x.seq === 1)!.undone).toBe(false)
    expect(reopened.corrections.stateOf('train', 2).label).toBe(2)
    expect(reopened.corrections.stateOf('train', 1).label).toBe(7)
    expect(filterHistory(rows, { inForceOnly: true }).map((x) => x.seq)).toEqual([1, 6])
    // Undo guarded by the seq the caller saw: someone else's newer correction is not taken back.
    expect(() => reopened.corrections.planUndo(1)).toThrow(/newest correction to undo is seq 6/)
  })

  it('rejects a class that does not exist and an image out of range, writing nothing', async () => {
    const o = options()
    const j = await LabelJournal.open(o)
    await expect(set(j, 0, 10)).rejects.toThrow(/class 10 does not exist: classes are 0 to 9/)
    await expect(set(j, 0, -1)).rejects.toBeInstanceOf(LabelError)
    await expect(set(j, 10, 1)).rejects.toThrow(/train image #10 does not exist.*#0 to #9/)
    await expect(j.append((c) => c.planSet('test', 2, { label: 1 }, 'manual'))).rejects.toThrow(
      /test image #2 does not exist/
    )
    await expect(set(j, 3, 3)).rejects.toThrow(/already Dress/)
    expect(existsSync(o.file)).toBe(false)
  })

  it('refuses an edit made on a stale view (two windows on the same image)', async () => {
    const j = await LabelJournal.open(options())
    const seen = j.corrections.stateOf('train', 4)
    await j.append((c) => c.planSet('train', 4, { label: 2 }, 'manual', seen))
    await expect(
      j.append((c) => c.planSet('train', 4, { label: 6 }, 'manual', seen))
    ).rejects.toThrow(/changed meanwhile \(it is now Pullover, not Coat\)/)
    expect(j.corrections.entries).toHaveLength(1)
  })

  it.each([
    ['half a line', '{"v":1,"seq":3,"ts":"2026'],
    ['a complete object without its newline', null],
    ['zeros from a lost block', '\0\0\0\0\0\0\0\0']
  ])('cuts away a torn last line (%s) and reports it', async (_name, tail) => {
    const o = options()
    const j = await LabelJournal.open(o)
    await set(j, 1, 2)
    await set(j, 2, 3)
    const good = await readFile(o.file, 'utf8')
    const torn = tail ?? good.trimEnd().split('\n')[1]!.replace('"seq":2', '"seq":3')
    await appendFile(o.file, torn)
    const reopened = await LabelJournal.open(o)
    expect(reopened.recovery).toEqual({
      droppedBytes: Buffer.byteLength(torn),
      at: Buffer.byteLength(good)
    })
    expect(await readFile(o.file, 'utf8')).toBe(good)
    expect(reopened.corrections.entries).toHaveLength(2)
    expect((await set(reopened, 3, 4))!.seq).toBe(3)
  })

  it('explains a damaged line in the middle instead of skipping it', async () => {
    const o = options()
    const j = await LabelJournal.open(o)
    await set(j, 1, 2)
    await set(j, 2, 3)
    await set(j, 3, 4)
    const lines = (await readFile(o.file, 'utf8')).split('\n')
    lines[1] = lines[1]!.slice(0, 20) + 'garbage'
    await writeFile(o.file, lines.join('\n'))
    await expect(LabelJournal.open(o)).rejects.toThrow(
      /line 2 is not valid JSON.*the 1 lines before it are intact/
    )
    lines[1] = JSON.stringify({ ...JSON.parse(lines[2]!), seq: 2, index: 99 })
    await writeFile(o.file, lines.join('\n'))
    await expect(LabelJournal.open(o)).rejects.toThrow(/line 2 does not fit: .*#99 does not exist/)
  })

  it('refuses a journal written for other dataset files', async () => {
    const o = options()
    await set(await LabelJournal.open(o), 1, 2)
    const err = await LabelJournal.open({ ...o, fingerprint: 'sha256:bbbb' }).catch((e) => e)
    expect(err).toBeInstanceOf(JournalError)
    expect(err.message).toMatch(/another version of the dataset.*sha256:aaaa.*sha256:bbbb/)
    // Same fingerprint claimed, different labels: the replay catches it.
    const relabelled = { ...original, train: Uint8Array.from([0, 5, 2, 3, 4, 5, 6, 7, 8, 9]) }
    await expect(LabelJournal.open({ ...o, original: relabelled })).rejects.toThrow(
      /line 1 does not fit: .*was Trouser, but it is Sandal/
    )
  })

  it('takes turns with another writer, each seeing the other’s corrections', async () => {
    const o = options()
    const a = await LabelJournal.open(o)
    const b = await LabelJournal.open(o)
    await set(a, 1, 2)
    await set(b, 2, 3)
    await Promise.all([set(a, 3, 4), set(b, 4, 5), set(a, 5, 6)])
    await a.refresh()
    expect(a.corrections.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(b.corrections.stateOf('train', 1).label).toBe(2)
    // b's view of image 1 is current, a's view of image 4 is not: b's edit wins, a's is refused.
    await expect(
      a.append((c) => c.planSet('train', 4, { label: 0 }, 'manual', { label: 4, mark: null }))
    ).rejects.toThrow(/changed meanwhile/)
  })

  it('breaks a lock left by a dead process, and waits for (then names) a live one', async () => {
    const o = options()
    const j = await LabelJournal.open(o)
    await set(j, 1, 2)
    const lock = `${o.file}.lock`
    const dead = { pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), token: 'x' }
    await writeFile(lock, JSON.stringify({ ...dead, boot: null, since: 'then' }))
    expect((await set(j, 2, 3))!.seq).toBe(2)
    expect(existsSync(lock)).toBe(false)
    // Locks appear whole (written aside, then linked): an unreadable one is a crash's leftover.
    await writeFile(lock, '')
    expect((await set(j, 4, 5))!.seq).toBe(3)
    await writeFile(lock, JSON.stringify({ ...dead, pid: process.ppid, since: 'now' }))
    const held = await LabelJournal.open({ ...o, lock: { timeoutMs: 150 } }).then((x) => x)
    await expect(set(held, 3, 4)).rejects.toThrow(/locked by process \d+ on .* since now/)
    await rm(lock)
    expect((await set(held, 3, 4))!.seq).toBe(4)
    expect((await readdir(join(o.file, '..'))).sort()).toEqual(['fashion-mnist.jsonl'])
  })

  it('exports the history as CSV, one row per entry, oldest first', async () => {
    const j = await LabelJournal.open(options())
    await set(j, 6, 0)
    await j.append((c) => c.planUndo())
    const csv = historyCsv(j.corrections.rows().reverse())
    expect(csv.split('\r\n')).toEqual([
      'seq,timestamp,op,target_seq,split,index,old_label,old_class,old_mark,new_label,new_class,new_mark,reason,undone',
      expect.stringMatching(/^1,[^,]+,set,,train,6,6,Shirt,,0,T-shirt\/top,,manual,yes$/),
      expect.stringMatching(/^2,[^,]+,undo,1,train,6,0,T-shirt\/top,,6,Shirt,,undo,no$/),
      ''
    ])
  })

  it('keeps the pure state consistent: excluded images keep their class, a class clears a mark', () => {
    const c = new Corrections(original)
    const apply = (p: ReturnType<Corrections['planSet']>) =>
      c.apply({ ...p, seq: c.entries.length + 1, ts: 't' })
    apply(c.planSet('train', 2, { mark: 'excluded' }, 'manual'))
    expect(c.correctedLabels('train').marks.get(2)).toBe('excluded')
    apply(c.planSet('train', 2, { label: 4 }, 'manual'))
    expect(c.stateOf('train', 2)).toEqual({ label: 4, mark: null })
    expect(c.correctedLabels('train').labels[2]).toBe(4)
    expect(c.changedImages('train')).toEqual([{ index: 2, state: { label: 4, mark: null } }])
  })
})
