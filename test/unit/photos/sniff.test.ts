// Formats are told by content, not by name: the extension of a merchandiser's file can lie.
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { PhotoError } from '../../../src/main/engine/photos/errors'
import { sniffFormat } from '../../../src/main/engine/photos/sniff'

const base = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#abc' } })

function reasonOf(bytes: Buffer): string {
  try {
    sniffFormat(bytes)
    return 'accepted'
  } catch (err) {
    expect(err).toBeInstanceOf(PhotoError)
    return (err as PhotoError).message
  }
}

describe('sniffFormat', () => {
  it('recognises every format classify decodes', async () => {
    expect(sniffFormat(await base().jpeg().toBuffer())).toBe('jpeg')
    expect(sniffFormat(await base().png().toBuffer())).toBe('png')
    expect(sniffFormat(await base().webp().toBuffer())).toBe('webp')
    expect(sniffFormat(await base().gif().toBuffer())).toBe('gif')
    expect(sniffFormat(await base().tiff().toBuffer())).toBe('tiff')
    expect(sniffFormat(await base().avif().toBuffer())).toBe('avif')
  })

  it('says why anything else is not decoded', () => {
    expect(reasonOf(Buffer.alloc(0))).toBe('empty file (0 bytes)')
    expect(reasonOf(Buffer.from('Größe: 42\nFarbe: blau, Stoff: Baumwolle\n'.repeat(3)))).toBe(
      'not an image (text file?)'
    )
    const bmp = Buffer.alloc(70)
    bmp.write('BM')
    expect(reasonOf(bmp)).toBe('unsupported format: BMP')
    const heic = Buffer.alloc(40)
    heic.write('ftypheic', 4)
    expect(reasonOf(heic)).toBe('unsupported format: HEIC')
    expect(reasonOf(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBe(
      'unsupported format: SVG'
    )
    expect(reasonOf(Buffer.from([1, 2, 3]))).toBe('not an image (3 bytes)')
    expect(reasonOf(Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256)))).toBe(
      'not an image (unrecognised format)'
    )
  })
})
