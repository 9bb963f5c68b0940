// Exports checked by their real consumers, on all 10,000 test images: Keras 3 on TensorFlow 2.21
// loads each .keras file, exports a SavedModel and calls its serving signature (the path to
// TensorFlow Serving); onnx.checker accepts each .onnx file and onnxruntime (Python and
// onnxruntime-node) runs it. Each must give our probabilities within 1e-4 and the same accuracy.
// Models: the seed preset trained by the CLI, and two CNNs (test/helpers/export-fixtures.mjs) that
// cover convolution, pooling, batch normalization, dropout, flatten, reshape and the activations.
// Needs the Keras virtualenv of `npm run setup`; without it every test fails saying so.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLASS_NAMES, NUM_CLASSES } from '@shared/classes'
import type { ExportContract } from '../../src/main/engine/export/contract'
import type { ModelArtifacts } from '../../src/main/engine/worker/protocol'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { lastJsonLine, runCli } from '../helpers/cli'
import { kerasVenvPython, runPython } from '../helpers/keras-venv'
import { realData, realDataDir, WORKER_FILE } from '../helpers/real-data'

const MODELS = ['seed', 'cnn-flat', 'cnn-nhwc'] as const
type ModelId = (typeof MODELS)[number]
const TOLERANCE = 1e-4

interface KerasReport {
  contract: ExportContract
  layers: string[]
  keras_input_shape: (number | null)[]
  serving_input: string
  keras: string
  savedmodel: string
}
interface OnnxReport {
  checker: string
  ir_version: number
  opset: Record<string, number>
  metadata: Record<string, string>
  input: { name: string; shape: (string | number)[]; doc: string }
  output: string
  onnxruntime: string
}
interface PythonReport {
  models: Record<ModelId, { keras: KerasReport; onnx: OnnxReport }>
  versions: Record<string, string>
}

let tmp: string
let labels: Uint8Array
let images: Uint8Array
const ours = new Map<ModelId, Float32Array>()
const ortNode = new Map<ModelId, Float32Array>()
const tfjsExport = new Map<ModelId, Float32Array>()
let python: PythonReport
const exported = new Map<string, { out: string; bytes: number; contract: ExportContract }>()
const dirOf = (id: ModelId) => join(tmp, id)
const outOf = (id: ModelId, format: string) => join(tmp, 'exports', `${id}.${format}`)

beforeAll(async () => {
  kerasVenvPython() // fail first, with the fix, when the venv is missing
  tmp = await mkdtemp(join(tmpdir(), 'fs-export-'))
  const data = await realData()
  images = data.test.images
  labels = data.test.labels
  const train = await runCli(['train', '--epochs', '2', '--out', dirOf('seed'), '--json'])
  expect(train.code, train.stderr).toBe(0)
  await runNode(['test/helpers/export-fixtures.mjs', realDataDir(), tmp])

  for (const id of MODELS) {
    for (const format of ['keras', 'onnx', 'tfjs']) {
      const run = await runCli([
        'export',
        '--model',
        dirOf(id),
        '--format',
        format,
        '--out',
        outOf(id, format),
        '--json'
      ])
      expect(run.code, run.stderr).toBe(0)
      exported.set(`${id}.${format}`, lastJsonLine(run.stdout))
    }
  }

  // Ours: the built worker on tfjs-node, as the studio predicts. It feeds [N, 784], so the model
  // with an image input uses the probabilities tfjs-node computed in the fixture process.
  const host = new TrainingHost({ workerFile: WORKER_FILE })
  try {
    for (const id of MODELS) {
      if (id === 'cnn-nhwc')
        ours.set(id, await readFloats(join(dirOf(id), 'tfjs-probabilities.bin')))
      else {
        ours.set(id, await host.predict(await artifactsOf(dirOf(id)), images))
        tfjsExport.set(id, await host.predict(await artifactsOf(outOf(id, 'tfjs')), images))
      }
    }
  } finally {
    await host.close()
  }

  for (const id of MODELS) {
    const session = await ort.InferenceSession.create(outOf(id, 'onnx'))
    const shape = exported.get(`${id}.onnx`)!.contract.input.shape.slice(1) as number[]
    const x = new ort.Tensor(
      'float32',
      Float32Array.from(images, (v) => v / 255),
      [10000, ...shape]
    )
    const result = await session.run({ pixels: x })
    ortNode.set(id, result.probabilities!.data as Float32Array)
    await session.release()
  }

  const imagesFile = join(tmp, 'test-images.u8')
  await writeFile(imagesFile, images)
  const job = join(tmp, 'job.json')
  await writeFile(
    job,
    JSON.stringify({
      images: imagesFile,
      count: data.test.count,
      out: tmp,
      models: MODELS.map((id) => ({ id, keras: outOf(id, 'keras'), onnx: outOf(id, 'onnx') }))
    })
  )
  python = JSON.parse((await runPython('check_exports.py', [job])).trim().split('\n').pop()!)
}, 300_000)
afterAll(() => (tmp ? rm(tmp, { recursive: true, force: true }) : undefined))

describe.each(MODELS)('%s', (id) => {
  const agreement = async (consumer: Float32Array | string) => {
    const theirs = typeof consumer === 'string' ? await readFloats(consumer) : consumer
    const mine = ours.get(id)!
    expect(theirs.length).toBe(mine.length)
    return { maxDiff: maxAbsDiff(mine, theirs), ours: accuracy(mine), theirs: accuracy(theirs) }
  }
  const expectAgreement = (a: { maxDiff: number; ours: number; theirs: number }, who: string) => {
    console.log(
      `${id} ${who}: max |diff| ${a.maxDiff.toExponential(2)}, accuracy ours ${a.ours} theirs ${a.theirs}`
    )
    expect(a.maxDiff).toBeLessThan(TOLERANCE)
    expect(a.theirs).toBe(a.ours)
  }

  it('is a confident model, so agreement means something', () => {
    const p = ours.get(id)!
    let sum = 0
    for (let i = 0; i < p.length; i += NUM_CLASSES)
      sum += Math.max(...p.subarray(i, i + NUM_CLASSES))
    expect(sum / (p.length / NUM_CLASSES)).toBeGreaterThan(0.6)
    expect(accuracy(p)).toBeGreaterThan(0.5)
  })

  it('Keras 3 (TensorFlow 2.21) loads the .keras file and predicts as we do', async () => {
    const k = python.models[id].keras
    expect(python.versions.keras).toMatch(/^3\./)
    expect(python.versions.tensorflow).toBe('2.21.0')
    expect(k.contract).toEqual(exported.get(`${id}.keras`)!.contract)
    expect(k.layers.length).toBeGreaterThan(2)
    expectAgreement(await agreement(k.keras), 'Keras')
  })

  it('the SavedModel that Keras exports answers through its serving signature', async () => {
    const k = python.models[id].keras
    expect(k.serving_input).toBe('pixels')
    expectAgreement(await agreement(k.savedmodel), 'SavedModel serving_default')
  })

  it('onnx.checker accepts the ONNX file: opset 17, input named and documented, classes', () => {
    const o = python.models[id].onnx
    expect(o.checker).toBe('ok')
    expect(o.opset['ai.onnx']).toBeGreaterThanOrEqual(17)
    expect(o.input.name).toBe('pixels')
    expect(o.input.shape[0]).toBe('N')
    expect(o.input.doc).toMatch(/uint8_pixel \/ 255/)
    expect(o.output).toBe('probabilities')
    expect(JSON.parse(o.metadata.classes!)).toEqual([...CLASS_NAMES])
    expect(JSON.parse(o.metadata['fashion_studio.contract']!)).toEqual(
      exported.get(`${id}.onnx`)!.contract
    )
  })

  it('onnxruntime (Python) and onnxruntime-node run it as we do', async () => {
    expectAgreement(await agreement(python.models[id].onnx.onnxruntime), 'onnxruntime (Python)')
    expectAgreement(await agreement(ortNode.get(id)!), 'onnxruntime-node')
  })

  it('the tfjs export is the same model, with the contract in model.json', async () => {
    const json = JSON.parse(await readFile(join(outOf(id, 'tfjs'), 'model.json'), 'utf8'))
    const original = JSON.parse(await readFile(join(dirOf(id), 'model.json'), 'utf8'))
    expect(json.modelTopology).toEqual(original.modelTopology)
    expect(json.userDefinedMetadata.fashion_studio.classes).toEqual([...CLASS_NAMES])
    expect(await readdir(outOf(id, 'tfjs'))).toEqual(['model.json', 'weights.bin'])
    const again = tfjsExport.get(id)
    if (again) expect(maxAbsDiff(ours.get(id)!, again)).toBe(0)
  })
})

describe('the exports', () => {
  it('carry the preprocessing contract: input shape, scaling, class order', () => {
    const seed = exported.get('seed.keras')!.contract
    expect(seed.input).toMatchObject({
      name: 'pixels',
      shape: [null, 784],
      scale: 1 / 255,
      offset: 0
    })
    expect(seed.classes).toEqual([...CLASS_NAMES])
    expect(exported.get('cnn-nhwc.onnx')!.contract.input.shape).toEqual([null, 28, 28, 1])
    expect(exported.get('cnn-nhwc.onnx')!.contract.input.layout).toMatch(/^NHWC/)
  })
})

async function artifactsOf(dir: string): Promise<ModelArtifacts> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
  const weights = await readFile(join(dir, 'weights.bin'))
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: weights.buffer.slice(
      weights.byteOffset,
      weights.byteOffset + weights.length
    ) as ArrayBuffer
  }
}

async function readFloats(file: string): Promise<Float32Array> {
  const b = await readFile(file)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)))
  return max
}

function accuracy(p: Float32Array): number {
  let correct = 0
  for (let i = 0; i < labels.length; i++) {
    const row = p.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES)
    if (row.indexOf(Math.max(...row)) === labels[i]) correct++
  }
  return correct / labels.length
}

function runNode(args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${args[0]} exited with ${code}:\n${stderr.slice(-3000)}`))
    )
  })
}
