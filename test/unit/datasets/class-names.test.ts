import { describe, expect, it } from 'vitest'
import { CLASS_NAMES } from '@shared/classes'
import { classForFolderName, normaliseName } from '../../../src/main/engine/datasets/class-names'
import { resolveMapping, type ClassFolder } from '../../../src/main/engine/datasets/import-folder'

const c = (name: string): number => CLASS_NAMES.indexOf(name as (typeof CLASS_NAMES)[number])

describe('folder names to classes', () => {
  it.each([
    ['tshirt', 'T-shirt/top'],
    ['T-Shirts', 'T-shirt/top'],
    ['t_shirt', 'T-shirt/top'],
    ['tees', 'T-shirt/top'],
    ['Top', 'T-shirt/top'],
    ['T-shirt/top', 'T-shirt/top'],
    ['trousers', 'Trouser'],
    ['Pants', 'Trouser'],
    ['jeans', 'Trouser'],
    ['pullover', 'Pullover'],
    ['Sweaters', 'Pullover'],
    ['dress', 'Dress'],
    ['Dresses', 'Dress'],
    ['coat', 'Coat'],
    ['jackets', 'Coat'],
    ['sandal', 'Sandal'],
    ['Sandals', 'Sandal'],
    ['shirt', 'Shirt'],
    ['shirts', 'Shirt'],
    ['sneaker', 'Sneaker'],
    ['SNEAKERS', 'Sneaker'],
    ['bag', 'Bag'],
    ['handbags', 'Bag'],
    ['ankle boot', 'Ankle boot'],
    ['Ankle_Boots', 'Ankle boot'],
    ['boots', 'Ankle boot'],
    ['7', 'Sneaker']
  ])('"%s" is %s', (folder, cls) => {
    expect(classForFolderName(folder)).toBe(c(cls))
  })

  it.each(['misc', 'hats', 'socks', '', '10', 'shirtdress'])('"%s" is not a class', (folder) => {
    expect(classForFolderName(folder)).toBeNull()
  })

  it('keeps "dress" and "shirt" apart from their plurals and from each other', () => {
    expect(normaliseName('dress')).toBe('dress')
    expect(normaliseName('dresses')).toBe('dress')
    expect(classForFolderName('tshirt')).not.toBe(classForFolderName('shirt'))
  })
})

describe('resolveMapping', () => {
  const folders: ClassFolder[] = [
    { folder: 'tees', images: 3, suggested: 0 },
    { folder: 'Hats', images: 2, suggested: null },
    { folder: 'misc', images: 1, suggested: null }
  ]

  it('refuses unmapped folders, naming every one and how to fix it', () => {
    expect(() => resolveMapping(folders)).toThrow(
      /"Hats", "misc".*--map "Hats=Shirt".*--skip-folder/
    )
  })

  it('takes explicit classes and skips (case-insensitively), over the suggestion', () => {
    const m = resolveMapping(folders, { hats: 'skip', misc: 4, tees: 6 })
    expect([...m]).toEqual([
      ['tees', 6],
      ['Hats', 'skip'],
      ['misc', 4]
    ])
  })

  it('refuses a mapping for a folder that does not exist (a typo)', () => {
    expect(() => resolveMapping(folders, { Hats: 'skip', misc: 1, teees: 0 })).toThrow(
      /do not exist: "teees"/
    )
  })
})
