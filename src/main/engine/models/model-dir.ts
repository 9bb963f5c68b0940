// A model directory: the tfjs layers model (model.json + weights.bin, loadable by any tfjs tool),
// metadata.json, history.json, evaluation.json, the report as text and two pictures. It is written
// into a temporary sibling and renamed into place, so a cancelled or killed run never leaves a
// half-written model under the final name, and an existing model is never overwritten.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import type { EpochLogs } from '@shared/training'
import type { ModelArtifacts } from '../worker/protocol'
import { ModelMetadataSchema, type ModelMetadata } from './metadata'

export const MODEL_FILES = {
  topology: 'model.json',
  weights: 'weights.bin',
  metadata: 'metadata.json',
  history: 'history.json',
  evaluation: 'evaluation.json',
  report: 'classification-report.txt',
  testProbabilities: 'test-probabilities.bin',
  curves: 'training-curves.png',
  confusion: 'confusion-matrix.png'
} as const

export class ModelDirError extends Error {
  constructor(
    readonly dir: string,
    readonly problem: string
  ) {
    super(`model ${dir}: ${problem}`)
    this.name = 'ModelDirError'
  }
}

/** Extra files to place in the directory, written by the caller into the temporary folder. */
export type ExtraWriter = (tmpDir: string) => Promise<void>

/** Writes a complete model directory atomically; fails if `dir` already exists. */
export async function writeModelDir(
  dir: string,
  content: {
    artifacts: ModelArtifacts
    metadata: ModelMetadata
    history: EpochLogs[]
    evaluation: unknown
  },
  extra: ExtraWriter = async () => undefined
): Promise<void> {
  if (existsSync(dir)) throw new ModelDirError(dir, 'already exists; models are never overwritten')
  await mkdir(dirname(dir), { recursive: true })
  const tmp = join(dirname(dir), `.${basename(dir)}.partial-${randomBytes(4).toString('hex')}`)
  await mkdir(tmp)
  try {
    const { artifacts } = content
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      generatedBy: 'fashion-studio',
      convertedBy: null,
      weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }]
    }
    await writeDurably(join(tmp, MODEL_FILES.topology), JSON.stringify(modelJson))
    await writeDurably(join(tmp, MODEL_FILES.weights), new Uint8Array(artifacts.weightData))
    await writeDurably(join(tmp, MODEL_FILES.metadata), JSON.stringify(content.metadata, null, 2))
    await writeDurably(join(tmp, MODEL_FILES.history), JSON.stringify(content.history, null, 2))
    await writeDurably(
      join(tmp, MODEL_FILES.evaluation),
      JSON.stringify(content.evaluation, null, 2)
    )
    await extra(tmp)
    await rename(tmp, dir)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
}

/** Writes and fsyncs a file, so the rename that publishes the directory never exposes empty files. */
export async function writeDurably(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(file, 'w')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

const WeightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32'])
})
const ModelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z
    .array(z.object({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) }))
    .length(1)
})

export interface LoadedModel {
  dir: string
  artifacts: ModelArtifacts
  metadata: ModelMetadata
  history: EpochLogs[]
}

/** Reads and checks a model directory; every problem is a ModelDirError naming the file. */
export async function readModelDir(dir: string): Promise<LoadedModel> {
  const info = await stat(dir).catch(() => undefined)
  if (!info) throw new ModelDirError(dir, 'not found')
  if (!info.isDirectory()) throw new ModelDirError(dir, 'is not a directory')
  const modelJson = parseJsonFile(
    dir,
    MODEL_FILES.topology,
    await readRequired(dir, MODEL_FILES.topology),
    ModelJsonSchema
  )
  const metadata = parseJsonFile(
    dir,
    MODEL_FILES.metadata,
    await readRequired(dir, MODEL_FILES.metadata),
    ModelMetadataSchema
  )
  const weights = await readRequired(dir, MODEL_FILES.weights)
  const specs = modelJson.weightsManifest[0]!.weights
  const expected = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0)
  if (weights.length !== expected) {
    throw new ModelDirError(
      dir,
      `${MODEL_FILES.weights} has ${weights.length} bytes, model.json describes ${expected}`
    )
  }
  const historyText = await readFile(join(dir, MODEL_FILES.history)).catch(() => undefined)
  const history = historyText ? (JSON.parse(historyText.toString()) as EpochLogs[]) : []
  const weightData = weights.buffer.slice(
    weights.byteOffset,
    weights.byteOffset + weights.length
  ) as ArrayBuffer
  return {
    dir,
    metadata,
    history,
    artifacts: { modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData }
  }
}

async function readRequired(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name))
  } catch {
    throw new ModelDirError(dir, `${name} is missing or unreadable`)
  }
}

function parseJsonFile<T>(dir: string, name: string, bytes: Buffer, schema: z.ZodType<T>): T {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new ModelDirError(dir, `${name} is not valid JSON (corrupt or truncated)`)
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ModelDirError(
      dir,
      `${name} is not a valid model file: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim()
    )
  }
  return parsed.data
}
