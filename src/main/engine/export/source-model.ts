// Reads what an export needs from a model directory: model.json, its weight files and, when present,
// metadata.json. It does not require the rest of a trained model's directory (history, evaluation),
// so any tfjs layers model exports, and every defect is an ExportError naming the file.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ExportError } from './errors'
import type { ModelGraph, Weight } from './graph'
import { parseTopology, type NamedWeights } from './parse-tfjs'

const WeightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string()
})
const ModelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(
    z.object({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) })
  )
})
export type WeightSpec = z.infer<typeof WeightSpecSchema>

/** What metadata.json may tell about the model; every field optional (any tfjs model exports). */
const LooseMetadataSchema = z.object({
  id: z.string().optional(),
  preset: z.string().optional(),
  createdAt: z.string().optional(),
  classes: z.array(z.string()).optional(),
  input: z.object({ scaling: z.string().optional() }).loose().optional(),
  metrics: z.object({ testAccuracy: z.number().optional() }).loose().optional()
})
export type SourceMetadata = z.infer<typeof LooseMetadataSchema>

export interface SourceModel {
  dir: string
  /** model.json as read (the tfjs export keeps it, adding the contract). */
  modelTopology: Record<string, unknown>
  weightSpecs: WeightSpec[]
  /** All weights, in manifest order, as one buffer (the tfjs export writes it as weights.bin). */
  weightData: Uint8Array
  metadata: SourceMetadata
  graph: ModelGraph
}

/** Reads and checks a model directory for export. */
export async function readSourceModel(dir: string): Promise<SourceModel> {
  const info = await stat(dir).catch(() => undefined)
  if (!info) throw new ExportError(`model ${dir}: not found`)
  if (!info.isDirectory()) throw new ExportError(`model ${dir}: is not a directory`)
  const modelJson = parseJson(dir, 'model.json', await readIn(dir, 'model.json'), ModelJsonSchema)
  const metaBytes = await readFile(join(dir, 'metadata.json')).catch(() => undefined)
  const metadata = metaBytes ? parseJson(dir, 'metadata.json', metaBytes, LooseMetadataSchema) : {}

  const weights: NamedWeights = new Map()
  const parts: Uint8Array[] = []
  const specs: WeightSpec[] = []
  for (const group of modelJson.weightsManifest) {
    const files = await Promise.all(group.paths.map((p) => readIn(dir, p)))
    const data = Buffer.concat(files)
    const expected = group.weights.reduce((n, s) => n + 4 * count(s.shape), 0)
    if (data.length !== expected) {
      throw new ExportError(
        `model ${dir}: ${group.paths.join(' + ')} has ${data.length} bytes, model.json describes ${expected} (corrupt or truncated)`
      )
    }
    let offset = 0
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32') {
        throw new ExportError(
          `model ${dir}: weight ${spec.name} is ${spec.dtype}; only float32 exports`
        )
      }
      const bytes = 4 * count(spec.shape)
      // A copy: Float32Array views need 4-byte alignment, which a concatenated buffer may lack.
      const values = new Float32Array(
        data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + bytes)
      )
      if (weights.has(spec.name))
        throw new ExportError(`model ${dir}: weight ${spec.name} appears twice`)
      weights.set(spec.name, { shape: spec.shape, data: values } satisfies Weight)
      offset += bytes
    }
    parts.push(data)
    specs.push(...group.weights)
  }
  let graph: ModelGraph
  try {
    graph = parseTopology(modelJson.modelTopology, weights)
  } catch (err) {
    if (err instanceof ExportError) throw new ExportError(`model ${dir}: ${err.message}`)
    throw err
  }
  return {
    dir,
    modelTopology: modelJson.modelTopology,
    weightSpecs: specs,
    weightData: Buffer.concat(parts),
    metadata,
    graph
  }
}

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

async function readIn(dir: string, name: string): Promise<Buffer> {
  // Manifest paths are relative file names; refuse anything that climbs out of the directory.
  if (name.includes('..') || name.startsWith('/')) {
    throw new ExportError(
      `model ${dir}: model.json names a weight file outside the directory: ${name}`
    )
  }
  try {
    return await readFile(join(dir, name))
  } catch {
    throw new ExportError(`model ${dir}: ${name} is missing or unreadable`)
  }
}

function parseJson<T>(dir: string, name: string, bytes: Buffer, schema: z.ZodType<T>): T {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new ExportError(`model ${dir}: ${name} is not valid JSON (corrupt or truncated)`)
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ExportError(
      `model ${dir}: ${name} is not a valid model file: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim()
    )
  }
  return parsed.data
}
