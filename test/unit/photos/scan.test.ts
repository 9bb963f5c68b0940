// The folder walk: recursive, stable order, every odd directory entry reported instead of thrown
// or followed forever.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countCandidates, scanPhotos, type ScanEntry } from '../../../src/main/engine/photos/scan'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fs-scan-'))
  await mkdir(join(root, 'b/deeper'), { recursive: true })
  await mkdir(join(root, 'a'))
  await mkdir(join(root, 'sorted/Coat'), { recursive: true })
  for (const f of [
    'z.jpg',
    'Jäckchen ✓.jpg',
    'B.PNG',
    'notes.txt',
    '.DS_Store',
    '._z.jpg',
    'old.bmp'
  ])
    await writeFile(join(root, f), 'x')
  await writeFile(join(root, 'a/1.webp'), 'x')
  await writeFile(join(root, 'b/2.jpeg'), 'x')
  await writeFile(join(root, 'b/deeper/3.tiff'), 'x')
  await writeFile(join(root, 'sorted/Coat/c.jpg'), 'x')
  await writeFile(join(root, 'classified.csv'), 'x')
  await symlink('..', join(root, 'b/loop')) // back to the root: a loop
  await symlink('self.jpg', join(root, 'self.jpg')) // a link to itself: ELOOP
  await symlink('missing.jpg', join(root, 'broken.jpg'))
  await symlink('z.jpg', join(root, 'zz-link.jpg')) // a link to a photo counts as that photo
  execFileSync('mkfifo', [join(root, 'pipe.jpg')])
})
afterAll(() => rm(root, { recursive: true, force: true }))

async function collect(options = {}): Promise<ScanEntry[]> {
  const out: ScanEntry[] = []
  for await (const e of scanPhotos(root, options)) out.push(e)
  return out
}

describe('scanPhotos', () => {
  it('walks depth first in name order and classifies every entry', async () => {
    const entries = await collect({
      exclude: [join(root, 'sorted')],
      excludeFiles: [join(root, 'classified.csv')]
    })
    const summary = entries.map((e) =>
      e.kind === 'skip' ? `${e.rel} SKIP ${e.error.message}` : `${e.rel} ${e.kind}`
    )
    expect(summary).toEqual([
      '.DS_Store ignored',
      '._z.jpg ignored',
      'B.PNG photo',
      'Jäckchen ✓.jpg photo',
      'broken.jpg SKIP unreadable: file vanished or is a broken symlink',
      'notes.txt ignored',
      'old.bmp photo', // a candidate: its content decides (here: an unsupported-format row)
      'pipe.jpg SKIP not a regular file',
      'self.jpg SKIP symlink loop',
      'z.jpg photo',
      'zz-link.jpg photo',
      'a/1.webp photo',
      'b/2.jpeg photo',
      'b/loop/ SKIP symlink loop: links to a folder already scanned',
      'b/deeper/3.tiff photo'
    ])
  })

  it('counts the same candidates it yields (the progress bar total)', async () => {
    const options = {
      exclude: [join(root, 'sorted')],
      excludeFiles: [join(root, 'classified.csv')]
    }
    const entries = await collect(options)
    expect(await countCandidates(root, options)).toBe(
      entries.filter((e) => e.kind !== 'ignored').length
    )
    expect(await countCandidates(root)).toBe(13) // + sorted/Coat/c.jpg; the CSV is merely ignored
  })
})
