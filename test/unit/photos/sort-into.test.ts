// --sort-into never overwrites and never loses a photo: name clashes, resumed runs (the photo is
// already there), moves within one file system (hard link) and across two (copy, fsync, unlink).
import { existsSync } from 'node:fs'
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { classFolderName, PhotoSorter } from '../../../src/main/engine/photos/sort-into'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-sort-'))
  await mkdir(join(dir, 'in/sub'), { recursive: true })
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const put = (rel: string, content: string) => writeFile(join(dir, rel), content)
const read = (rel: string) => readFile(join(dir, rel), 'utf8')

describe('PhotoSorter', () => {
  it('copies into the class folder; a clash gets a suffix, the existing file is untouched', async () => {
    await put('in/coat.jpg', 'first')
    await put('in/sub/coat.jpg', 'second')
    await mkdir(join(dir, 'out/Coat'), { recursive: true })
    await put('out/Coat/coat (2).jpg', 'already there, unrelated')
    const sorter = new PhotoSorter(join(dir, 'out'), 'copy')
    expect(await sorter.place(join(dir, 'in/coat.jpg'), 'Coat')).toBe('Coat/coat.jpg')
    expect(await sorter.place(join(dir, 'in/sub/coat.jpg'), 'Coat')).toBe('Coat/coat (3).jpg')
    expect(await read('out/Coat/coat.jpg')).toBe('first')
    expect(await read('out/Coat/coat (2).jpg')).toBe('already there, unrelated')
    expect(await read('out/Coat/coat (3).jpg')).toBe('second')
    expect(await read('in/coat.jpg')).toBe('first') // copies leave the original
    expect((await readdir(join(dir, 'out/Coat'))).filter((f) => f.startsWith('.'))).toEqual([])
  })

  it('reuses an identical copy from an interrupted run instead of copying twice', async () => {
    await put('in/bag.png', 'bag bytes')
    const sorter = new PhotoSorter(join(dir, 'out'), 'copy')
    expect(await sorter.place(join(dir, 'in/bag.png'), 'Bag')).toBe('Bag/bag.png')
    expect(await sorter.place(join(dir, 'in/bag.png'), 'Bag')).toBe('Bag/bag.png')
    expect(await readdir(join(dir, 'out/Bag'))).toEqual(['bag.png'])
  })

  it('moves on one file system by hard link: same inode, original gone, clashes suffixed', async () => {
    await put('in/boot.jpg', 'boot 1')
    await put('in/sub/boot.jpg', 'boot 2')
    const before = await stat(join(dir, 'in/boot.jpg'))
    const sorter = new PhotoSorter(join(dir, 'out'), 'move')
    expect(await sorter.place(join(dir, 'in/boot.jpg'), '_review')).toBe('_review/boot.jpg')
    expect(await sorter.place(join(dir, 'in/sub/boot.jpg'), '_review')).toBe('_review/boot (2).jpg')
    expect((await stat(join(dir, 'out/_review/boot.jpg'))).ino).toBe(before.ino)
    expect(existsSync(join(dir, 'in/boot.jpg'))).toBe(false)
    expect(existsSync(join(dir, 'in/sub/boot.jpg'))).toBe(false)
    expect(await read('out/_review/boot (2).jpg')).toBe('boot 2')
  })

  it('finishes a move a killed run left half done (linked, original not yet removed)', async () => {
    await put('in/dress.jpg', 'dress')
    await mkdir(join(dir, 'out/Dress'), { recursive: true })
    await link(join(dir, 'in/dress.jpg'), join(dir, 'out/Dress/dress.jpg'))
    const sorter = new PhotoSorter(join(dir, 'out'), 'move')
    expect(await sorter.place(join(dir, 'in/dress.jpg'), 'Dress')).toBe('Dress/dress.jpg')
    expect(await readdir(join(dir, 'out/Dress'))).toEqual(['dress.jpg'])
    expect(existsSync(join(dir, 'in/dress.jpg'))).toBe(false)
  })

  it.skipIf(!existsSync('/dev/shm'))(
    'moves across file systems by copy, fsync, then unlink',
    async () => {
      const other = await mkdtemp('/dev/shm/fs-sort-')
      try {
        await put('in/sandal.webp', 'sandal')
        await mkdir(join(other, 'Sandal'))
        await writeFile(join(other, 'Sandal/sandal.webp'), 'another sandal')
        const sorter = new PhotoSorter(other, 'move')
        expect(await sorter.place(join(dir, 'in/sandal.webp'), 'Sandal')).toBe(
          'Sandal/sandal (2).webp'
        )
        expect(await readFile(join(other, 'Sandal/sandal (2).webp'), 'utf8')).toBe('sandal')
        expect(await readFile(join(other, 'Sandal/sandal.webp'), 'utf8')).toBe('another sandal')
        expect(existsSync(join(dir, 'in/sandal.webp'))).toBe(false)
        expect((await readdir(join(other, 'Sandal'))).sort()).toEqual([
          'sandal (2).webp',
          'sandal.webp'
        ])
      } finally {
        await rm(other, { recursive: true, force: true })
      }
    }
  )

  it('never moves a missing photo anywhere (the error surfaces, nothing is created)', async () => {
    const sorter = new PhotoSorter(join(dir, 'out'), 'move')
    await expect(sorter.place(join(dir, 'in/gone.jpg'), 'Coat')).rejects.toThrow(/ENOENT/)
    expect(await readdir(join(dir, 'out/Coat'))).toEqual([])
  })

  it('turns class names into folder names every OS accepts', () => {
    expect(classFolderName('T-shirt/top')).toBe('T-shirt_top')
    expect(classFolderName('Ankle boot')).toBe('Ankle boot')
  })
})
