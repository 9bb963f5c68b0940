// The results CSV: quoting that survives any file name, and the guarantees --resume relies on
// (complete lines only, a torn last line cut off, never replacing a previous run by accident).
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csvLine, parseCsv } from '../../../src/main/engine/photos/csv'
import {
  CSV_COLUMNS,
  ResultsFile,
  ResultsFileError,
  type PhotoResult
} from '../../../src/main/engine/photos/results'

let dir: string
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'fs-results-'))))
afterAll(() => rm(dir, { recursive: true, force: true }))

const ok = (file: string): PhotoResult => ({
  file,
  status: 'ok',
  class: 'Coat',
  confidence: 0.91234,
  lowConfidence: false,
  top3: [
    { class: 'Coat', probability: 0.91234 },
    { class: 'Pullover', probability: 0.05 },
    { class: 'Shirt', probability: 0.02 }
  ]
})

describe('CSV', () => {
  it('round-trips awkward names: commas, quotes, newlines, spaces, non-ASCII', () => {
    const names = ['a,b.jpg', 'say "hi".png', 'two\nlines.jpg', ' lead.jpg', 'Jäckchen ✓.jpg', '']
    const text = names.map((n) => csvLine([n, 'x'])).join('')
    expect(parseCsv(text).records).toEqual(names.map((n) => [n, 'x']))
  })

  it('tells a torn last record from complete ones, even inside quotes', () => {
    const whole = csvLine(['a.jpg', 'ok']) + csvLine(['b\n.jpg', 'ok'])
    for (let cut = 0; cut < whole.length; cut++) {
      const { records, completeLength } = parseCsv(whole.slice(0, cut))
      const expected = cut >= whole.indexOf('\n') + 1 ? 1 : 0
      expect(records.length, `cut at ${cut}`).toBe(expected)
      expect(completeLength).toBe(expected ? whole.indexOf('\n') + 1 : 0)
    }
    expect(parseCsv(whole).records).toHaveLength(2)
  })
})

describe('ResultsFile', () => {
  it('writes a header, then complete rows; refuses to replace a previous run', async () => {
    const path = join(dir, 'new.csv')
    const { file, done } = await ResultsFile.open(path, { resume: false })
    expect(done.size).toBe(0)
    file.append([ok('x.jpg'), { file: 'bad.jpg', status: 'skipped', reason: 'truncated JPEG' }])
    file.close()
    const rows = parseCsv(await readFile(path, 'utf8')).records
    expect(rows[0]).toEqual([...CSV_COLUMNS])
    expect(rows[1]).toEqual([
      'x.jpg',
      'ok',
      'Coat',
      '0.9123',
      'no',
      'Pullover',
      '0.0500',
      'Shirt',
      '0.0200',
      '',
      ''
    ])
    expect(rows[2]).toEqual([
      'bad.jpg',
      'skipped',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      'truncated JPEG',
      ''
    ])
    await expect(ResultsFile.open(path, { resume: false })).rejects.toThrow(/--resume/)
  })

  it('resumes: knows what is done, cuts a torn last line, appends after it', async () => {
    const path = join(dir, 'torn.csv')
    const first = await ResultsFile.open(path, { resume: false })
    first.file.append([ok('a.jpg'), ok('b,c.jpg')])
    first.file.close()
    await appendFile(path, 'd.jpg,ok,Co') // what a kill -9 in mid-write could leave
    const again = await ResultsFile.open(path, { resume: true })
    expect([...again.done]).toEqual(['a.jpg', 'b,c.jpg'])
    expect(again.repairedBytes).toBe('d.jpg,ok,Co'.length)
    again.file.append([ok('d.jpg')])
    again.file.close()
    const rows = parseCsv(await readFile(path, 'utf8')).records.slice(1)
    expect(rows.map((r) => r[0])).toEqual(['a.jpg', 'b,c.jpg', 'd.jpg'])
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true)
  })

  it('resumes a file killed before its header was complete, and rejects foreign CSVs', async () => {
    const torn = join(dir, 'header.csv')
    await writeFile(torn, 'file,sta')
    const r = await ResultsFile.open(torn, { resume: true })
    r.file.close()
    expect(await readFile(torn, 'utf8')).toBe(CSV_COLUMNS.join(',') + '\n')
    const foreign = join(dir, 'foreign.csv')
    await writeFile(foreign, 'name,price\nshoe,10\n')
    await expect(ResultsFile.open(foreign, { resume: true })).rejects.toBeInstanceOf(
      ResultsFileError
    )
    expect(await readFile(foreign, 'utf8')).toBe('name,price\nshoe,10\n')
  })
})
