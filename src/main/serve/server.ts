// `fashion-studio serve`: a model behind TensorFlow Serving's REST API (so existing clients work
// unchanged), plus an image endpoint, health/readiness and an OpenAPI description. Requests are
// batched dynamically into the inference engine's worker (tfjs: the training worker; onnx: an
// onnxruntime worker), which keeps the model loaded.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import fastifyMultipart from '@fastify/multipart'
import Fastify, { type FastifyRequest } from 'fastify'
import { CLASS_NAMES, IMAGE_PIXELS, NUM_CLASSES } from '@shared/classes'
import { openPredictor, type EngineName, type Predictor } from '../engine/inference/engines'
import { withTta } from '../engine/inference/tta'
import type { LoadedModel } from '../engine/models/model-dir'
import type { TrainingHost } from '../engine/worker/host'
import { DynamicBatcher, QueueFullError } from './batcher'
import { parseInstances } from './instances'
import { openApiDocument } from './openapi'
import { unitPixels } from '../engine/data/unit-pixels'

export interface ServeOptions {
  /** The training worker's host: needed by the tfjs engine, unused by onnx. */
  host?: TrainingHost
  model: LoadedModel
  /** Inference engine (default tfjs); onnx runs onnxruntime on the model's ONNX export. */
  engine?: EngineName
  /** Test-time augmentation: every prediction averaged with the mirrored image's. */
  tta?: boolean
  /** The model's name in the URL (/v1/models/<name>). */
  name: string
  bindHost?: string
  port?: number
  /** Listening beyond loopback must be asked for explicitly, and then requires a bearer token. */
  allowRemote?: boolean
  token?: string
  maxBatch?: number
  maxDelayMs?: number
  maxQueue?: number
  /** Longest a request may wait for its prediction before a 504. */
  inferenceTimeoutMs?: number
  /** Request logging (one JSON line per request with its timing) on stderr. */
  log?: boolean
  /** Photo → 28x28 uint8 (the product-photo pipeline); without it the image endpoint answers 501. */
  preprocessImage?: (image: Buffer) => Promise<Uint8Array>
}

export interface ModelServer {
  url: string
  /** The bearer token clients must send, when one is required. */
  token: string | undefined
  batcher: DynamicBatcher
  engine: EngineName
  close(): Promise<void>
}

export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
const JSON_LIMIT = 8 << 20
const IMAGE_LIMIT = 20 << 20

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string
  ) {
    super(message)
  }
}

export async function startModelServer(o: ServeOptions): Promise<ModelServer> {
  const bindHost = o.bindHost ?? '127.0.0.1'
  if (!MODEL_NAME.test(o.name))
    throw new Error(`invalid model name "${o.name}" (letters, digits, . _ -)`)
  const remote = !isLoopback(bindHost)
  if (remote && !o.allowRemote) {
    throw new Error(
      `refusing to listen on ${bindHost}, which other machines can reach: pass --allow-remote to do so (a bearer token is then required)`
    )
  }
  const token = o.token ?? (remote ? randomBytes(24).toString('hex') : undefined)
  const engine = o.engine ?? 'tfjs'
  let predictor: Predictor | undefined
  // The model loads while the server starts listening (/readyz says "loading" meanwhile); a model
  // the engine cannot run stops the start-up below, before any request is answered.
  const loading = openPredictor({ engine, model: o.model, host: o.host }).then(
    (p) => void (predictor = o.tta ? withTta(p) : p)
  )
  loading.catch(() => undefined) // awaited below; avoid an unhandled rejection meanwhile

  const batcher = new DynamicBatcher({
    // A request that arrives while the model loads waits for it (or fails with the load's error).
    predict: async (pixels) => {
      await loading
      return (predictor as Predictor).predict(pixels)
    },
    maxBatch: o.maxBatch ?? 256,
    maxDelayMs: o.maxDelayMs ?? 0,
    maxQueue: o.maxQueue ?? 8192
  })
  const timeoutMs = o.inferenceTimeoutMs ?? 10_000
  const predict = async (pixels: Float32Array, count: number): Promise<Float32Array> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HttpError(504, `prediction took longer than ${timeoutMs} ms`)),
        timeoutMs
      )
    })
    try {
      return await Promise.race([batcher.predict(pixels, count), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  const app = Fastify({
    // Request log on stderr, so stdout stays for the URLs the command prints.
    logger: o.log ? { level: 'info', stream: process.stderr } : false,
    bodyLimit: JSON_LIMIT,
    requestTimeout: 30_000,
    connectionTimeout: 60_000
  })

  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
    if (err instanceof QueueFullError) void reply.header('retry-after', '1')
    void reply
      .code(status)
      .send({ error: status === 500 ? `internal error: ${err.message}` : err.message })
  })
  app.setNotFoundHandler(
    (req, reply) => void reply.code(404).send({ error: `no route ${req.method} ${req.url}` })
  )

  // Images arrive as raw bytes; anything else that is not JSON is refused with 415 by fastify.
  app.addContentTypeParser(
    ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: IMAGE_LIMIT },
    (_req, body, done) => done(null, body)
  )

  // Or as the first file of a multipart form (HTML forms, curl -F image=@photo.jpg).
  await app.register(fastifyMultipart, { limits: { fileSize: IMAGE_LIMIT, files: 1, fields: 10 } })

  app.addHook('onRequest', async (req, reply) => {
    if (!token || req.url === '/healthz' || req.url === '/readyz') return
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '')
    const want = Buffer.from(token)
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'missing or wrong bearer token' })
    }
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) =>
    predictor
      ? { status: 'ready', model: o.name, engine }
      : reply.code(503).send({ status: 'loading', model: o.name })
  )
  app.get('/openapi.json', async () => openApiDocument(o.name, url))

  const route = (req: FastifyRequest): { name: string; verb: string | undefined; rest: string } => {
    // /v1/models/<name>[/versions/<n>][/metadata | :predict | :classify-image]
    const path = decodeURIComponent(req.url.split('?')[0]!.slice('/v1/models/'.length))
    const m = /^([^/:]+)(?:\/versions\/(\d+))?(?::([a-z-]+)|\/(metadata))?$/.exec(path)
    if (!m) throw new HttpError(404, `no route ${req.method} ${req.url}`)
    if (m[1] !== o.name)
      throw new HttpError(404, `unknown model "${m[1]}" (this server serves "${o.name}")`)
    if (m[2] && m[2] !== '1') throw new HttpError(404, `model "${o.name}" has only version 1`)
    return { name: m[1]!, verb: m[3], rest: m[4] ?? '' }
  }

  app.get('/v1/models/*', async (req) => {
    const r = route(req)
    if (r.verb) throw new HttpError(405, `use POST for :${r.verb}`)
    return r.rest === 'metadata' ? metadata(o.name) : status()
  })

  app.post('/v1/models/*', async (req) => {
    const r = route(req)
    if (r.verb === 'predict') {
      if (!req.headers['content-type']?.startsWith('application/json')) {
        throw new HttpError(415, 'send the instances as application/json')
      }
      const { pixels, count } = parseInstances(req.body)
      const probs = await predict(pixels, count)
      return { predictions: rows(probs, count) }
    }
    if (r.verb === 'classify-image') return classifyImage(req)
    throw new HttpError(404, `unknown verb "${r.verb ?? r.rest}" (use :predict or :classify-image)`)
  })

  const classifyImage = async (req: FastifyRequest): Promise<object> => {
    if (!o.preprocessImage) throw new HttpError(501, 'this server has no image pipeline')
    const body = req.isMultipart() ? await multipartImage(req) : req.body
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new HttpError(
        400,
        'send the photo as the raw body (image/jpeg, image/png, image/webp) or as a multipart file'
      )
    }
    let pixels: Uint8Array
    try {
      pixels = await o.preprocessImage(body)
    } catch (err) {
      throw new HttpError(
        415,
        `could not read the image: ${err instanceof Error ? err.message : String(err)}`
      )
    }
    const probs = await predict(unitPixels(pixels), 1)
    return describe(Array.from(probs))
  }

  await app.listen({ host: bindHost, port: o.port ?? 8501 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : o.port
  const url = `http://${bindHost.includes(':') ? `[${bindHost}]` : bindHost}:${port}`
  try {
    await loading
  } catch (err) {
    await app.close()
    throw err
  }
  return {
    url,
    token,
    batcher,
    engine,
    close: async () => {
      await app.close()
      await predictor?.close()
    }
  }
}

async function multipartImage(req: FastifyRequest): Promise<Buffer | undefined> {
  const file = await req.file()
  if (!file) return undefined
  const data = await file.toBuffer()
  if (file.file.truncated) throw new HttpError(413, 'image larger than the limit')
  return data
}

function rows(probs: Float32Array, count: number): number[][] {
  return Array.from({ length: count }, (_, i) =>
    Array.from(probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES))
  )
}

/** Top class, confidence and top 3, for one row of probabilities. */
function describe(p: number[]): object {
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0])
  const top = order
    .slice(0, 3)
    .map(([probability, i]) => ({ class: i, label: CLASS_NAMES[i], probability }))
  return {
    class: top[0]!.class,
    label: top[0]!.label,
    confidence: top[0]!.probability,
    top3: top,
    probabilities: p
  }
}

function status(): object {
  return {
    model_version_status: [
      { version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }
    ]
  }
}

function metadata(name: string): object {
  const tensor = (dims: number[], n: string) => ({
    dtype: 'DT_FLOAT',
    tensor_shape: {
      dim: dims.map((size) => ({ size: String(size), name: '' })),
      unknown_rank: false
    },
    name: n
  })
  return {
    model_spec: { name, signature_name: '', version: '1' },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: { input: tensor([-1, IMAGE_PIXELS], 'serving_default_input:0') },
            outputs: { output: tensor([-1, NUM_CLASSES], 'StatefulPartitionedCall:0') },
            method_name: 'tensorflow/serving/predict'
          }
        }
      },
      classes: CLASS_NAMES
    }
  }
}
