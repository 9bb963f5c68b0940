// exportModel, the engine function the command line and the studio call: results, atomic
// publication (never a partial file under any name we leave behind), replacing only when asked.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExportError } from '../../../src/main/engine/export/errors'
import { exportModel, type ExportFormat } from '../../../src/main/engine/export/export-model'
import { tinyDenseLayers, writeTinyModel } from '../../helpers/export-models'

let tmp: string
let model: string

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-export-unit-'))
  model = join(tmp, 'model')
  const classes = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']
  await writeTinyModel(model, tinyDenseLayers(), {
    metadata: { id: 'tiny-1', preset: 'seed', classes, metrics: { testAccuracy: 0.5 } }
  })
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

const noPartials = async (dir: string) =>
  expect((await readdir(dir)).filter((f) => f.includes('.partial') || f.includes('.old'))).toEqual(
    []
  )

describe('exportModel', () => {
  it.each<[ExportFormat, string]>([
    ['keras', 'm.keras'],
    ['onnx', 'm.onnx'],
    ['tfjs', 'm-tfjs']
  ])('writes %s and reports the size and contract', async (format, name) => {
    const out = join(tmp, 'ok', name)
    const result = await exportModel({ modelDir: model, format, out })
    expect(result).toMatchObject({ out, format })
    const size =
      format === 'tfjs'
        ? (await stat(join(out, 'model.json'))).size + (await stat(join(out, 'weights.bin'))).size
        : (await stat(out)).size
    expect(result.bytes).toBe(size)
    expect(result.contract.classes[0]).toBe('a')
    expect(result.contract.source).toMatchObject({ id: 'tiny-1', testAccuracy: 0.5 })
    await noPartials(join(tmp, 'ok'))
  })

  it('refuses to replace a file or folder unless asked, then replaces it whole', async () => {
    const dir = join(tmp, 'replace')
    await mkdir(dir)
    await writeFile(join(dir, 'm.onnx'), 'old')
    await expect(
      exportModel({ modelDir: model, format: 'onnx', out: join(dir, 'm.onnx') })
    ).rejects.toThrow(/already exists/)
    expect(await readFile(join(dir, 'm.onnx'), 'utf8')).toBe('old')
    await exportModel({
      modelDir: model,
      format: 'onnx',
      out: join(dir, 'm.onnx'),
      overwrite: true
    })
    expect((await readFile(join(dir, 'm.onnx'))).length).toBeGreaterThan(3)

    await mkdir(join(dir, 'web'))
    await writeFile(join(dir, 'web', 'stale.txt'), 'x')
    await expect(
      exportModel({ modelDir: model, format: 'tfjs', out: join(dir, 'web') })
    ).rejects.toThrow(ExportError)
    await exportModel({ modelDir: model, format: 'tfjs', out: join(dir, 'web'), overwrite: true })
    expect((await readdir(join(dir, 'web'))).sort()).toEqual(['model.json', 'weights.bin'])
    await noPartials(dir)
  })

  it('leaves no temporary file when the final step fails', async () => {
    const dir = join(tmp, 'fail')
    // A non-empty folder where the file should go: the final rename fails after the data is written.
    await mkdir(join(dir, 'm.onnx'), { recursive: true })
    await writeFile(join(dir, 'm.onnx', 'x'), 'x')
    await expect(
      exportModel({ modelDir: model, format: 'onnx', out: join(dir, 'm.onnx'), overwrite: true })
    ).rejects.toThrow()
    expect((await readdir(dir)).sort()).toEqual(['m.onnx'])
  })

  it('checks the format and the Keras file name before reading anything', async () => {
    await expect(
      exportModel({
        modelDir: join(tmp, 'none'),
        format: 'caffe' as ExportFormat,
        out: join(tmp, 'x')
      })
    ).rejects.toThrow(/unknown export format "caffe"/)
    await expect(
      exportModel({ modelDir: model, format: 'keras', out: join(tmp, 'm.h5') })
    ).rejects.toThrow(/must be named \*\.keras/)
  })

  it('refuses a model whose classes do not match its output', async () => {
    const dir = join(tmp, 'bad-classes')
    await writeTinyModel(dir, tinyDenseLayers(), { metadata: { classes: ['only', 'two'] } })
    await expect(
      exportModel({ modelDir: dir, format: 'onnx', out: join(tmp, 'bc.onnx') })
    ).rejects.toThrow(/output \[10\] does not match 2 class names/)
  })
})
