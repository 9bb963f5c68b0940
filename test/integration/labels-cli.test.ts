// `fashion-studio labels ...` and `finetune` end to end through the built binary, on the real
// dataset and native TensorFlow.
// Bad inputs tried: a class that does not exist (number and name), an image out of range, an unknown
// split, a journal written for other dataset files, a damaged middle line, a torn last line, two
// processes writing at once, a fine-tune of a missing model and onto an existing directory.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CorrectionRow } from '@shared/labels'
import type { FinetuneComparison } from '@shared/studio-api'
import { lastJsonLine, runCli } from '../helpers/cli'
import { writeTinyDataset } from '../helpers/tiny-dataset'

let tmp: string
let ws: string
let parent: string
const labels = (...args: string[]) => runCli(['labels', ...args, '--workspace', ws])
const journal = () => join(ws, 'labels', 'fashion-mnist.jsonl')

/** SHA-256 of every file of a directory: to show a parent model was not touched. */
async function digest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const f of (await readdir(dir)).sort()) {
    out[f] = createHash('sha256')
      .update(await readFile(join(dir, f)))
      .digest('hex')
  }
  return out
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-labels-cli-'))
  ws = join(tmp, 'ws')
  parent = join(ws, 'models', 'parent')
  const run = await runCli([
    'train',
    '--epochs',
    '1',
    '--train-limit',
    '3000',
    '--out',
    parent,
    '--workspace',
    ws
  ])
  expect(run.code, run.stderr).toBe(0)
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('fashion-studio labels', () => {
  it('sets, lists, undoes, redoes and exports corrections', async () => {
    const a = await labels('set', '--split', 'train', '--index', '5', '--label', 'Shirt')
    expect(a.code, a.stderr).toBe(0)
    expect(a.stdout).toBe('saved seq 1: train #5 Pullover → Shirt (manual)\n')
    const b = await labels(
      'set',
      '--split',
      'test',
      '--index',
      '0',
      '--label',
      'excluded',
      '--json'
    )
    expect(lastJsonLine(b.stdout)).toMatchObject({
      seq: 2,
      split: 'test',
      index: 0,
      old: { label: 9, mark: null },
      new: { label: 9, mark: 'excluded' }
    })
    await labels(
      'set',
      '--split',
      'train',
      '--index',
      '10',
      '--label',
      '4',
      '--reason',
      'suggestion'
    )
    expect((await labels('undo')).stdout).toMatch(
      /^saved seq 4: train #10 Coat → T-shirt\/top \(undo of seq 3\)/
    )
    expect((await labels('redo')).stdout).toMatch(/seq 5: .*\(redo of seq 3\)/)
    await labels('undo')
    const inForce = lastJsonLine<CorrectionRow[]>(
      (await labels('list', '--in-force', '--json')).stdout
    )
    expect(inForce.map((r) => r.seq)).toEqual([1, 2])
    const text = (await labels('list')).stdout
    expect(text).toMatch(/6 entries; 1 images relabelled, 0 ambiguous, 1 excluded/)
    expect(text).toMatch(/seq 3: .*\[undone\]/)
    const csvFile = join(tmp, 'corrections.csv')
    expect((await labels('export', '--out', csvFile)).code).toBe(0)
    const csv = (await readFile(csvFile, 'utf8')).trimEnd().split('\r\n')
    expect(csv).toHaveLength(7)
    expect(csv[1]).toMatch(/^1,[^,]+,set,,train,5,2,Pullover,,6,Shirt,,manual,no$/)
    const testOnly = (await labels('export', '--split', 'test')).stdout.trimEnd().split('\r\n')
    expect(testOnly).toHaveLength(2)
  })

  it.each([
    [['--index', '1', '--label', '12'], /"12" is not a class: use 0-9 or a name/],
    [['--index', '1', '--label', 'Jacket'], /"Jacket" is not a class/],
    [['--index', '60000', '--label', '1'], /train image #60000 does not exist: .*#0 to #59999/],
    [['--index', '5', '--label', 'Shirt'], /train image #5 is already Shirt/]
  ])('refuses %j with a clear message and writes nothing', async (flags, message) => {
    const before = await readFile(journal(), 'utf8')
    const run = await labels('set', '--split', 'train', ...flags)
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(message)
    expect(await readFile(journal(), 'utf8')).toBe(before)
  })

  it('names the splits when given another', async () => {
    const run = await labels('set', '--split', 'valid', '--index', '1', '--label', '1')
    expect(run.stderr).toMatch(/expected train or test, got "valid"/)
  })

  it('recovers from a torn last line, and explains a damaged one or another dataset', async () => {
    const copy = join(tmp, 'ws-copy')
    await cp(ws, copy, { recursive: true })
    const file = join(copy, 'labels', 'fashion-mnist.jsonl')
    const good = await readFile(file, 'utf8')
    const tail = '{"v":1,"seq":7,"ts":"2026-'
    await appendFile(file, tail)
    const torn = await runCli(['labels', 'list', '--workspace', copy])
    expect(torn.code, torn.stderr).toBe(0)
    expect(torn.stderr).toContain(`cut away a torn last line (${tail.length} bytes)`)
    expect(torn.stderr).toMatch(/no saved correction was lost/)
    expect(await readFile(file, 'utf8')).toBe(good)

    const lines = good.split('\n')
    lines[1] = '{"v":1,"seq":2,"ts":'
    await writeFile(file, lines.join('\n'))
    const damaged = await runCli(['labels', 'list', '--workspace', copy])
    expect(damaged.code).toBe(1)
    expect(damaged.stderr).toMatch(/line 2 is not valid JSON .*the 1 lines before it are intact/)

    const tiny = await writeTinyDataset(join(tmp, 'tiny'))
    const other = await runCli(['labels', 'list', '--workspace', ws, '--data', tiny])
    expect(other.code).toBe(1)
    expect(other.stderr).toMatch(/written for another version of the dataset/)
  })

  it('lets two processes write at once, each correction saved once, in one sequence', async () => {
    const w = join(tmp, 'ws-two')
    const rows = (from: number) =>
      [
        'split,index,label',
        ...Array.from({ length: 40 }, (_, k) => `train,${from + k},excluded`)
      ].join('\n')
    await writeFile(join(tmp, 'a.csv'), rows(100))
    await writeFile(join(tmp, 'b.csv'), rows(200))
    const [a, b] = await Promise.all(
      ['a.csv', 'b.csv'].map((f) => runCli(['labels', 'import', join(tmp, f), '--workspace', w]))
    )
    expect(a!.code, a!.stderr).toBe(0)
    expect(b!.code, b!.stderr).toBe(0)
    const list = lastJsonLine<CorrectionRow[]>(
      (await runCli(['labels', 'list', '--json', '--workspace', w])).stdout
    )
    expect(list.map((r) => r.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1))
    expect(new Set(list.map((r) => r.index)).size).toBe(80)
  })
})

describe('fashion-studio finetune', () => {
  it('writes a new model with its parent recorded and the parent untouched', async () => {
    const before = await digest(parent)
    const out = join(ws, 'models', 'tuned')
    const run = await runCli([
      'finetune',
      '--model',
      parent,
      '--epochs',
      '1',
      '--replay',
      '0.1',
      '--out',
      out,
      '--workspace',
      ws,
      '--json'
    ])
    expect(run.code, run.stderr).toBe(0)
    const json = lastJsonLine<{ parent: string; comparison: FinetuneComparison; native: boolean }>(
      run.stdout
    )
    expect(json.native).toBe(true)
    expect(json.parent).toBe('parent')
    expect(json.comparison).toMatchObject({ parent: 'parent', correctedTrain: 1, excluded: 1 })
    for (const m of [json.comparison.before, json.comparison.after]) {
      expect(m.testAccuracy).toBeGreaterThan(0.6)
      expect(m.f1).toHaveLength(10)
      expect(m.corrected.count).toBe(1)
    }
    expect(run.stderr).toMatch(/test accuracy \(corrected labels\)\s+\d+\.\d+%\s+\d+\.\d+%/)
    const meta = JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8'))
    expect(meta.parent).toBe('parent')
    expect(existsSync(join(out, 'finetune.json'))).toBe(true)
    expect(await digest(parent)).toEqual(before)
    const again = await runCli(['finetune', '--model', parent, '--out', out, '--workspace', ws])
    expect(again.stderr).toMatch(/already exists; models are never overwritten/)
    const missing = await runCli(['finetune', '--model', join(tmp, 'nope'), '--workspace', ws])
    expect(missing.stderr).toMatch(/nope: not found/)
  })
})

describe('fashion-studio labels suggest', () => {
  it('ranks likely label errors with k-fold probabilities and draws a contact sheet', async () => {
    const sheet = join(tmp, 'sheet.png')
    const run = await labels(
      'suggest',
      '--train-limit',
      '2000',
      '--folds',
      '2',
      '--epochs',
      '1',
      '--limit',
      '6',
      '--json',
      '--contact-sheet',
      sheet
    )
    expect(run.code, run.stderr).toBe(0)
    const r = lastJsonLine<{ trainCount: number; issues: number; top: { index: number }[] }>(
      run.stdout
    )
    expect(r.trainCount).toBe(2000)
    expect(r.issues).toBeGreaterThan(6)
    expect(r.top).toHaveLength(6)
    expect(r.top.every((t) => t.index < 2000)).toBe(true)
    expect(existsSync(join(ws, 'labels', 'fashion-mnist.suggestions.json'))).toBe(true)
    expect((await sharp(sheet).metadata()).format).toBe('png')
  })
})
