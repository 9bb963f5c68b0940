// The model server over real HTTP on loopback, a real model, native TensorFlow in the worker.
// Bad requests tried: malformed JSON, a non-object body, missing/empty/oversized "instances", wrong
// shapes, values out of range, strings and null for numbers, an unknown model, version and verb, GET
// on :predict, a wrong content type, a body over the size limit, a full queue, missing and wrong
// bearer tokens, binding beyond loopback without asking; plus 400 random bodies (fuzz). The onnx
// engine answers like tfjs; it refuses at start a model it cannot convert, and the command line an
// unknown --engine.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import { readModelDir, type LoadedModel } from '../../src/main/engine/models/model-dir'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { writePhotoLikeSet } from '../../src/main/engine/photos/photo-like'
import { preprocessForServing } from '../../src/main/serve/image-pipeline'
import { startModelServer, type ModelServer } from '../../src/main/serve/server'
import { runCli } from '../helpers/cli'
import { realData, WORKER_FILE } from '../helpers/real-data'
import { pngHeader } from '../helpers/png-header'

let tmp: string
let model: LoadedModel
let host: TrainingHost
let server: ModelServer
let testImages: Uint8Array

const instance = (i: number): number[] =>
  Array.from(testImages.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), (v) => v / 255)
const predict = (body: unknown, raw?: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/v1/models/seed:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw ?? JSON.stringify(body)
  })

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-serve-'))
  const run = await runCli([
    'train',
    '--epochs',
    '2',
    '--train-limit',
    '3000',
    '--out',
    join(tmp, 'model')
  ])
  expect(run.code, run.stderr).toBe(0)
  model = await readModelDir(join(tmp, 'model'))
  host = new TrainingHost({ workerFile: WORKER_FILE })
  server = await startModelServer({
    host,
    model,
    name: 'seed',
    port: 0,
    preprocessImage: preprocessForServing
  })
  testImages = (await realData()).test.images
})
afterAll(async () => {
  await server?.close()
  await host?.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('TensorFlow Serving REST API', () => {
  it('answers status, metadata, health, readiness and OpenAPI', async () => {
    expect(await (await fetch(`${server.url}/v1/models/seed`)).json()).toMatchObject({
      model_version_status: [{ version: '1', state: 'AVAILABLE' }]
    })
    const meta = (await (await fetch(`${server.url}/v1/models/seed/metadata`)).json()) as {
      metadata: {
        signature_def: {
          signature_def: {
            serving_default: { inputs: { input: { tensor_shape: { dim: { size: string }[] } } } }
          }
        }
      }
    }
    expect(
      meta.metadata.signature_def.signature_def.serving_default.inputs.input.tensor_shape.dim.map(
        (d) => d.size
      )
    ).toEqual(['-1', '784'])
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ status: 'ready' })
    expect(await (await fetch(`${server.url}/openapi.json`)).json()).toMatchObject({
      openapi: '3.1.0'
    })
  })

  it('predicts like the engine, from 784 values, 28x28 and 28x28x1 alike', async () => {
    const flat = [0, 1, 2].map(instance)
    const res = await predict({ instances: flat })
    expect(res.status).toBe(200)
    const { predictions } = (await res.json()) as { predictions: number[][] }
    const ours = await host.predict(model.artifacts, testImages.slice(0, 3 * IMAGE_PIXELS))
    predictions.flat().forEach((p, i) => expect(p).toBeCloseTo(ours[i]!, 5))
    predictions.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5))
    const square = flat.map((v) =>
      Array.from({ length: 28 }, (_, r) => v.slice(r * 28, r * 28 + 28))
    )
    const channel = square.map((rows) => rows.map((row) => row.map((x) => [x])))
    for (const instances of [square, channel, flat.map((input) => ({ input }))]) {
      const again = (await (await predict({ instances })).json()) as { predictions: number[][] }
      expect(again.predictions).toEqual(predictions)
    }
  })

  it('batches concurrent requests together', async () => {
    const before = server.batcher.batchSizes.length
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => predict({ instances: [instance(i)] }))
    )
    expect(answers.every((r) => r.status === 200)).toBe(true)
    const sizes = server.batcher.batchSizes.slice(before)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200)
    expect(Math.max(...sizes)).toBeGreaterThan(1)
  })

  const tooLarge = JSON.stringify({
    instances: Array.from({ length: 1000 }, () => new Array(784).fill(0.123456789))
  })
  it.each([
    ['malformed JSON', undefined, '{"instances": [', 400, /not valid JSON/],
    ['a JSON array body', [1, 2], undefined, 400, /JSON object/],
    ['no instances', { foo: 1 }, undefined, 400, /missing "instances"/],
    ['empty instances', { instances: [] }, undefined, 400, /is empty/],
    ['instances not an array', { instances: 'x' }, undefined, 400, /must be an array/],
    [
      'a wrong shape',
      { instances: [[0.1, 0.2]] },
      undefined,
      400,
      /expected 784 values or 28 rows, got 2/
    ],
    [
      'a ragged 28x28',
      { instances: [Array.from({ length: 28 }, (_, r) => new Array(r === 5 ? 27 : 28).fill(0))] },
      undefined,
      400,
      /row 5 must have 28 values/
    ],
    [
      'a value above 1',
      { instances: [new Array(784).fill(0).map((v, i) => (i === 7 ? 255 : v))] },
      undefined,
      400,
      /instance 0\[7\]: 255 is outside \[0, 1\]/
    ],
    [
      'a negative value',
      { instances: [new Array(784).fill(-0.5)] },
      undefined,
      400,
      /outside \[0, 1\]/
    ],
    [
      'a string for a number',
      { instances: [new Array(784).fill('NaN')] },
      undefined,
      400,
      /expected a number, got "NaN"/
    ],
    [
      'null for a number',
      { instances: [new Array(784).fill(null)] },
      undefined,
      400,
      /expected a number, got null/
    ],
    [
      'too many instances',
      { instances: new Array(1025).fill(new Array(784).fill(0)) },
      undefined,
      400,
      /too many instances: 1025/
    ],
    ['a body over the limit', undefined, tooLarge + ' '.repeat(9 << 20), 413, /too large/i]
  ])('rejects %s with a clear JSON error', async (_name, body, raw, status, message) => {
    const res = await predict(body, raw)
    expect(res.status).toBe(status)
    expect(((await res.json()) as { error: string }).error).toMatch(message)
  })

  it.each([
    ['an unknown model', 'POST', '/v1/models/other:predict', 404, /unknown model "other"/],
    ['an unknown version', 'POST', '/v1/models/seed/versions/7:predict', 404, /only version 1/],
    ['an unknown verb', 'POST', '/v1/models/seed:regress', 404, /unknown verb "regress"/],
    ['GET on :predict', 'GET', '/v1/models/seed:predict', 405, /use POST/],
    ['an unknown path', 'GET', '/v2/anything', 404, /no route/]
  ])('answers %s with an error', async (_name, method, path, status, message) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      ...(method === 'POST'
        ? { headers: { 'content-type': 'application/json' }, body: '{"instances":[[0]]}' }
        : {})
    })
    expect(res.status).toBe(status)
    expect(((await res.json()) as { error: string }).error).toMatch(message)
  })

  it('refuses a body that is not JSON', async () => {
    const res = await fetch(`${server.url}/v1/models/seed:predict`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello'
    })
    expect(res.status).toBe(415)
  })

  it('survives 400 random bodies without a 5xx, and stays healthy', async () => {
    let seed = 12345
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const value = (depth: number): unknown => {
      const k = Math.floor(rand() * 8)
      if (depth > 3 || k < 2) return [rand(), -rand() * 1e9, 1e308, 0, 0.5][Math.floor(rand() * 5)]
      if (k === 2) return 'x'.repeat(Math.floor(rand() * 5))
      if (k === 3) return null
      if (k === 4) return rand() < 0.5
      if (k === 5)
        return Array.from({ length: Math.floor(rand() * (rand() < 0.2 ? 800 : 5)) }, () =>
          value(depth + 1)
        )
      return { instances: value(depth + 1), inputs: rand() < 0.3 ? value(depth + 1) : undefined }
    }
    const statuses = new Map<number, number>()
    for (let i = 0; i < 400; i++) {
      const raw =
        rand() < 0.15
          ? Buffer.from(Array.from({ length: 40 }, () => Math.floor(rand() * 256))).toString(
              'latin1'
            )
          : JSON.stringify(value(0))
      const res = await predict(undefined, raw ?? 'null')
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      expect(res.status, raw.slice(0, 200)).toBeLessThan(500)
      await res.arrayBuffer()
    }
    expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })
})

describe('image endpoint', () => {
  const classify = (body: Buffer, contentType?: string) =>
    fetch(`${server.url}/v1/models/seed:classify-image`, {
      method: 'POST',
      ...(contentType ? { headers: { 'content-type': contentType } } : {}),
      body
    })

  it('classifies product photos like the engine, as a raw body or a multipart file', async () => {
    const data = await realData()
    const dir = join(tmp, 'photos')
    const files = await writePhotoLikeSet({
      images: data.test.images,
      labels: data.test.labels,
      outDir: dir,
      count: 30,
      variety: 'jpeg',
      seed: 3
    })
    const { readFile } = await import('node:fs/promises')
    let correct = 0
    for (const f of files) {
      const res = await classify(await readFile(join(dir, f.file)), 'image/jpeg')
      expect(res.status).toBe(200)
      const body = (await res.json()) as {
        class: number
        label: string
        confidence: number
        top3: { class: number; probability: number }[]
      }
      expect(body.top3).toHaveLength(3)
      expect(body.top3[0]!.class).toBe(body.class)
      expect(body.confidence).toBe(body.top3[0]!.probability)
      if (body.class === f.label) correct++
    }
    expect(correct / files.length).toBeGreaterThan(0.6)
    const form = new FormData()
    form.append(
      'image',
      new Blob([await readFile(join(dir, files[0]!.file))], { type: 'image/jpeg' }),
      'photo.jpg'
    )
    const viaForm = await fetch(`${server.url}/v1/models/seed:classify-image`, {
      method: 'POST',
      body: form
    })
    expect(viaForm.status).toBe(200)
    const first = (await (
      await classify(await readFile(join(dir, files[0]!.file)), 'image/jpeg')
    ).json()) as { probabilities: number[] }
    expect(((await viaForm.json()) as { probabilities: number[] }).probabilities).toEqual(
      first.probabilities
    )
  })

  it.each([
    [
      'a text file sent as JPEG',
      () => Buffer.from('hello, I am not a photo'),
      'image/jpeg',
      415,
      /could not read the image/
    ],
    ['an empty body', () => Buffer.alloc(0), 'application/octet-stream', 400, /send the photo/],
    [
      'a 30000x30000 PNG header (decompression bomb)',
      () => pngHeader(30000, 30000),
      'image/png',
      415,
      /too large/
    ],
    [
      'an image over the size limit',
      () => Buffer.alloc(21 << 20, 1),
      'image/jpeg',
      413,
      /too large/i
    ]
  ])('rejects %s', async (_name, body, type, status, message) => {
    const res = await classify(body(), type)
    expect(res.status).toBe(status)
    expect(((await res.json()) as { error: string }).error).toMatch(message)
  })
})

describe('limits and safety', () => {
  it('answers 503 with Retry-After when the queue is full, and serves the rest', async () => {
    const small = await startModelServer({
      host,
      model,
      name: 'seed',
      port: 0,
      maxQueue: 4,
      maxBatch: 4,
      maxDelayMs: 50
    })
    try {
      const body = JSON.stringify({ instances: [instance(0)] })
      const answers = await Promise.all(
        Array.from({ length: 40 }, () =>
          fetch(`${small.url}/v1/models/seed:predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body
          })
        )
      )
      const busy = answers.filter((r) => r.status === 503)
      expect(busy.length).toBeGreaterThan(0)
      expect(busy[0]!.headers.get('retry-after')).toBe('1')
      expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(0)
      expect(answers.every((r) => r.status === 200 || r.status === 503)).toBe(true)
    } finally {
      await small.close()
    }
  })

  it('refuses to listen beyond loopback unless asked, and then requires a bearer token', async () => {
    await expect(
      startModelServer({ host, model, name: 'seed', bindHost: '0.0.0.0', port: 0 })
    ).rejects.toThrow(/refusing to listen on 0\.0\.0\.0.*--allow-remote/)
    const remote = await startModelServer({
      host,
      model,
      name: 'seed',
      bindHost: '0.0.0.0',
      port: 0,
      allowRemote: true
    })
    try {
      expect(remote.token).toMatch(/^[0-9a-f]{48}$/)
      const url = remote.url.replace('0.0.0.0', '127.0.0.1')
      const body = JSON.stringify({ instances: [instance(0)] })
      const call = (auth?: string) =>
        fetch(`${url}/v1/models/seed:predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body
        })
      expect((await call()).status).toBe(401)
      expect((await call('Bearer nope')).status).toBe(401)
      expect((await call(`Bearer ${remote.token}`)).status).toBe(200)
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
    } finally {
      await remote.close()
    }
  })

  it('rejects a model name that cannot be a URL segment', async () => {
    await expect(startModelServer({ host, model, name: '../x', port: 0 })).rejects.toThrow(
      /invalid model name/
    )
  })
})

describe('onnx engine', () => {
  let onnx: ModelServer
  beforeAll(async () => {
    // No training worker: the onnx engine runs in a worker of its own.
    onnx = await startModelServer({
      model,
      engine: 'onnx',
      name: 'seed',
      port: 0,
      preprocessImage: preprocessForServing
    })
  })
  afterAll(() => onnx?.close())
  const post = (base: string, verb: string, body: string | Buffer, type: string) =>
    fetch(`${base}/v1/models/seed:${verb}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body
    })

  it(':predict returns the probabilities of tfjs within 1e-4, same top class', async () => {
    expect(onnx.engine).toBe('onnx')
    expect(await (await fetch(`${onnx.url}/readyz`)).json()).toMatchObject({ engine: 'onnx' })
    const n = 200
    const body = JSON.stringify({ instances: Array.from({ length: n }, (_, i) => instance(i)) })
    const res = await post(onnx.url, 'predict', body, 'application/json')
    expect(res.status).toBe(200)
    const { predictions } = (await res.json()) as { predictions: number[][] }
    const tfjs = await host.predict(model.artifacts, testImages.slice(0, n * IMAGE_PIXELS))
    const argmax = (r: ArrayLike<number>) => Array.from(r).indexOf(Math.max(...Array.from(r)))
    expect(predictions).toHaveLength(n)
    predictions.forEach((row, i) => {
      const want = tfjs.subarray(i * 10, i * 10 + 10)
      row.forEach((p, k) => expect(Math.abs(p - want[k]!)).toBeLessThan(1e-4))
      expect(argmax(row)).toBe(argmax(want))
    })
  })

  it('batches concurrent requests, each answered with its own row', async () => {
    const before = onnx.batcher.batchSizes.length
    const answers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const res = await post(
          onnx.url,
          'predict',
          JSON.stringify({ instances: [instance(i)] }),
          'application/json'
        )
        expect(res.status).toBe(200)
        return ((await res.json()) as { predictions: number[][] }).predictions[0]!
      })
    )
    const sizes = onnx.batcher.batchSizes.slice(before)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100)
    const tfjs = await host.predict(model.artifacts, testImages.slice(0, 100 * IMAGE_PIXELS))
    answers.forEach((row, i) =>
      row.forEach((p, k) => expect(Math.abs(p - tfjs[i * 10 + k]!)).toBeLessThan(1e-4))
    )
  })

  it(':classify-image classifies photos like the tfjs server', async () => {
    const data = await realData()
    const dir = join(tmp, 'onnx-photos')
    const files = await writePhotoLikeSet({
      images: data.test.images,
      labels: data.test.labels,
      outDir: dir,
      count: 12,
      variety: 'jpeg',
      seed: 5
    })
    const { readFile } = await import('node:fs/promises')
    type Answer = { class: number; confidence: number; probabilities: number[] }
    for (const f of files) {
      const photo = await readFile(join(dir, f.file))
      const [a, b] = await Promise.all(
        [server.url, onnx.url].map(async (base) => {
          const res = await post(base, 'classify-image', photo, 'image/jpeg')
          expect(res.status).toBe(200)
          return (await res.json()) as Answer
        })
      )
      expect(b!.class).toBe(a!.class)
      expect(Math.abs(b!.confidence - a!.confidence)).toBeLessThan(1e-4)
      b!.probabilities.forEach((p, k) =>
        expect(Math.abs(p - a!.probabilities[k]!)).toBeLessThan(1e-4)
      )
    }
    const text = await post(onnx.url, 'classify-image', Buffer.from('not a photo'), 'image/jpeg')
    expect(text.status).toBe(415)
  })

  it('refuses at start a model the ONNX exporter cannot convert, naming the layer', async () => {
    const { cp, readFile, writeFile } = await import('node:fs/promises')
    const bad = join(tmp, 'model-lstm')
    await cp(join(tmp, 'model'), bad, { recursive: true })
    const json = await readFile(join(bad, 'model.json'), 'utf8')
    await writeFile(
      join(bad, 'model.json'),
      json.replace('"class_name":"Dense"', '"class_name":"LSTM"')
    )
    const badModel = await readModelDir(bad)
    await expect(
      startModelServer({ model: badModel, engine: 'onnx', name: 'seed', port: 0 })
    ).rejects.toThrow(
      /onnx engine: its ONNX export failed: .*unsupported layer ".*" \(class LSTM\)/
    )
    const cli = await runCli([
      'serve',
      '--model',
      bad,
      '--port',
      '0',
      '--engine',
      'onnx',
      '--quiet'
    ])
    expect(cli.code).toBe(1)
    expect(cli.stderr).toMatch(/unsupported layer ".*" \(class LSTM\)/)
  })

  it('the command line rejects an unknown engine, naming the choices', async () => {
    const run = await runCli(['serve', '--model', join(tmp, 'model'), '--engine', 'ort'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/argument 'ort' is invalid\. Allowed choices are tfjs, onnx/)
  })
})

describe('fashion-studio serve', () => {
  it.each(['tfjs', 'onnx'])(
    'prints its URLs when ready and stops on Ctrl-C (engine %s)',
    async (engine) => {
      let url = ''
      const { spawn } = await import('node:child_process')
      const child = spawn(process.execPath, [
        'bin/fashion-studio.cjs',
        'serve',
        '--model',
        join(tmp, 'model'),
        '--port',
        '0',
        '--quiet',
        '--engine',
        engine
      ])
      let out = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /health: {3}GET {2}(http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(out)
          if (m && /ready/.test(out)) {
            url = m[1]!
            resolve()
          }
        })
        child.on('exit', (code) => reject(new Error(`serve exited early (${code}): ${out}`)))
      })
      expect(out).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/v1\/models\/seed:predict/)
      expect(out).toContain(engine === 'onnx' ? 'on onnxruntime' : 'on tfjs (')
      expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: 'ready', engine })
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGINT')
      expect(await exited).toBe(0)
    }
  )
})
