// `fashion-studio export` on bad input, through the built command line: a missing, corrupt or
// truncated model directory, an unsupported layer or activation, a functional model (ensemble), an
// existing output, a wrong file name or format. Each gets a clear error and exit code 1, and no
// file, partial or not, is left where the export would have gone.
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { layer, tinyDenseLayers, writeTinyModel } from '../helpers/export-models'
import { lastJsonLine, runCli } from '../helpers/cli'

let tmp: string
let good: string
let outDir: string

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-export-errors-'))
  good = join(tmp, 'good')
  outDir = join(tmp, 'out')
  await writeTinyModel(good, tinyDenseLayers())
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

async function leftovers(): Promise<string[]> {
  return readdir(outDir).catch(() => [])
}

async function exportFails(model: string, format: string, out: string, message: RegExp) {
  const run = await runCli(['export', '--model', model, '--format', format, '--out', out])
  expect(run.code, run.stdout).toBe(1)
  expect(run.stderr).toMatch(message)
  expect(await leftovers()).toEqual([])
}

describe('fashion-studio export on bad input', () => {
  it('a missing model directory', async () => {
    await exportFails(join(tmp, 'nope'), 'onnx', join(outDir, 'm.onnx'), /model .*nope: not found/)
  })

  it('a corrupt model.json', async () => {
    const dir = join(tmp, 'corrupt-json')
    await writeTinyModel(dir, tinyDenseLayers())
    await writeFile(join(dir, 'model.json'), '{"modelTopology": {"class_name": "Seq')
    await exportFails(dir, 'keras', join(outDir, 'm.keras'), /model.json is not valid JSON/)
  })

  it('a truncated weights.bin', async () => {
    const dir = join(tmp, 'truncated')
    await writeTinyModel(dir, tinyDenseLayers())
    await truncate(join(dir, 'weights.bin'), 1000)
    await exportFails(
      dir,
      'onnx',
      join(outDir, 'm.onnx'),
      /weights.bin has 1000 bytes, model.json describes 25480 \(corrupt or truncated\)/
    )
  })

  it.each(['keras', 'onnx', 'tfjs'])('an unsupported layer, named (%s)', async (format) => {
    const dir = join(tmp, 'lstm')
    await writeTinyModel(dir, [
      layer('Reshape', 'rows', { target_shape: [28, 28], batch_input_shape: [null, 784] }),
      layer('LSTM', 'recurrent', { units: 4 }),
      layer('Dense', 'output', { units: 10, activation: 'softmax' })
    ])
    await exportFails(
      dir,
      format,
      join(outDir, `m.${format === 'tfjs' ? 'tfjs' : format}`),
      /unsupported layer "recurrent" \(class LSTM\)/
    )
  })

  it('an unsupported activation, naming the layer', async () => {
    const dir = join(tmp, 'hard-sigmoid')
    const layers = tinyDenseLayers()
    layers[0]!.config.activation = 'hard_sigmoid'
    await writeTinyModel(dir, layers)
    await exportFails(
      dir,
      'onnx',
      join(outDir, 'm.onnx'),
      /layer "hidden": unsupported activation "hard_sigmoid"/
    )
  })

  it('a functional model such as an ensemble: export its members', async () => {
    const dir = join(tmp, 'functional')
    await writeTinyModel(dir, tinyDenseLayers(), { className: 'Model' })
    await exportFails(
      dir,
      'keras',
      join(outDir, 'm.keras'),
      /only Sequential models.*export each member/
    )
  })

  it('a Keras file not named .keras, and an unknown format', async () => {
    await exportFails(good, 'keras', join(outDir, 'm.h5'), /must be named \*\.keras/)
    await exportFails(
      good,
      'pickle',
      join(outDir, 'm.pkl'),
      /argument 'pickle' is invalid.*keras, onnx, tfjs/
    )
  })

  it('an existing output: refused, then replaced with --force', async () => {
    const out = join(tmp, 'existing.onnx')
    await writeFile(out, 'precious')
    const refused = await runCli(['export', '--model', good, '--format', 'onnx', '--out', out])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/already exists.*--force/)
    expect(await readFile(out, 'utf8')).toBe('precious')
    const forced = await runCli([
      'export',
      '--model',
      good,
      '--format',
      'onnx',
      '--out',
      out,
      '--force',
      '--json'
    ])
    expect(forced.code, forced.stderr).toBe(0)
    const result = lastJsonLine<{ bytes: number; out: string }>(forced.stdout)
    expect((await stat(out)).size).toBe(result.bytes)
    expect((await readdir(tmp)).filter((f) => f.includes('.partial'))).toEqual([])
  })
})
