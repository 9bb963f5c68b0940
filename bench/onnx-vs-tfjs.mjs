#!/usr/bin/env node
// Inference engines side by side on the same models: tfjs-node in the training worker (what serving
// and folder classification call today: host.predictLoaded, one worker round trip per batch) against
// onnxruntime-node on the model's ONNX export. Batch 1 is a lone serving request; batch 256 is a
// folder-classification batch (and the server's --max-batch under load). Prints images/s and the
// largest probability difference between the two on the 10,000 test images.
//
//   npm run build:only && node bench/onnx-vs-tfjs.mjs    (BENCH_ROUNDS=5 rounds of BENCH_SECONDS=1)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { gunzipSync } from 'node:zlib'

const require = createRequire(import.meta.url)
const ort = require('onnxruntime-node')
const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const dataDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist'
const dir = mkdtempSync(join(tmpdir(), 'fs-bench-onnx-'))

function cli(args) {
  const res = spawnSync(process.execPath, ['bin/fashion-studio.cjs', ...args], { encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`fashion-studio ${args[0]} failed: ${res.stderr}`)
}

/** The training worker, driven with its own protocol (what TrainingHost does). */
class TfjsWorker {
  constructor() {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'
    this.worker = new Worker(resolve('out/main/training-worker.js'))
    this.pending = new Map()
    this.next = 0
    this.ready = new Promise((res) => {
      this.worker.on('message', (e) => {
        if (e.type === 'ready') return res(e.backend)
        const job = this.pending.get(e.jobId)
        this.pending.delete(e.jobId)
        if (e.type === 'error') job?.reject(new Error(e.message))
        else job?.resolve(e.result)
      })
    })
  }
  request(req) {
    const jobId = String(this.next++)
    return new Promise((res, rej) => {
      this.pending.set(jobId, { resolve: res, reject: rej })
      this.worker.postMessage({ ...req, jobId })
    })
  }
  async load(key, modelDir) {
    const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'))
    const w = readFileSync(join(modelDir, 'weights.bin'))
    const artifacts = {
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.length)
    }
    await this.request({ type: 'load-model', key, artifacts })
    return async (pixels) =>
      (await this.request({ type: 'predict', model: { key }, images: pixels })).probabilities
  }
}

// onnxruntime-node's run() is synchronous on the calling thread (behind a setImmediate), so a server
// would run it in a worker too: this one measures it behind the same kind of round trip.
const ORT_WORKER = `
const { parentPort } = require('node:worker_threads')
const ort = require(${JSON.stringify(require.resolve('onnxruntime-node'))})
let session
parentPort.on('message', async (m) => {
  if (m.file) {
    session = await ort.InferenceSession.create(m.file, m.threads ? { intraOpNumThreads: m.threads } : {})
    return parentPort.postMessage({ id: m.id })
  }
  const x = new ort.Tensor('float32', m.pixels, [m.pixels.length / 784, 784])
  const out = await session.run({ [session.inputNames[0]]: x })
  parentPort.postMessage({ id: m.id, p: out[session.outputNames[0]].data })
})`

async function onnxWorkerPredictor(file, threads) {
  const worker = new Worker(ORT_WORKER, { eval: true })
  const pending = new Map()
  let next = 0
  worker.on('message', (m) => {
    pending.get(m.id)(m.p)
    pending.delete(m.id)
  })
  const ask = (msg) =>
    new Promise((res) => {
      const id = next++
      pending.set(id, res)
      worker.postMessage({ ...msg, id })
    })
  await ask({ file, threads })
  const predict = (pixels) => ask({ pixels })
  predict.close = () => worker.terminate()
  return predict
}

async function onnxPredictor(file) {
  const session = await ort.InferenceSession.create(file)
  const input = session.inputNames[0]
  const predict = async (pixels) => {
    const out = await session.run({
      [input]: new ort.Tensor('float32', pixels, [pixels.length / 784, 784])
    })
    return out[session.outputNames[0]].data
  }
  predict.close = () => session.release()
  return predict
}

/**
 * Images per second for `predict` on consecutive batches of `batch` images: `rounds` rounds of
 * `seconds` each, median and best. The machine is shared, so single rounds are noisy.
 */
async function throughput(predict, images, batch) {
  const count = images.length / 784
  const slice = (i) => {
    const start = (i * batch) % (count - batch)
    return images.slice(start * 784, (start + batch) * 784)
  }
  for (let i = 0; i < 20; i++) await predict(slice(i)) // warm-up
  const results = []
  let i = 0
  for (let r = 0; r < rounds; r++) {
    let done = 0
    const t0 = performance.now()
    while (performance.now() - t0 < seconds * 1000) {
      await predict(slice(i++))
      done += batch
    }
    results.push(done / ((performance.now() - t0) / 1000))
  }
  results.sort((a, b) => a - b)
  return { median: results[Math.floor(rounds / 2)], best: results[rounds - 1] }
}

function maxAbsDiff(a, b) {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

function argmaxAgreement(a, b) {
  let same = 0
  for (let i = 0; i < a.length / 10; i++) {
    const ra = Array.from(a.subarray(i * 10, i * 10 + 10))
    const rb = Array.from(b.subarray(i * 10, i * 10 + 10))
    if (ra.indexOf(Math.max(...ra)) === rb.indexOf(Math.max(...rb))) same++
  }
  return same / (a.length / 10)
}

const tfjs = new TfjsWorker()
try {
  console.error('preparing models: seed (1 epoch) and a small CNN fixture ...')
  cli(['train', '--epochs', '1', '--out', join(dir, 'seed'), '--json'])
  const fixtures = spawnSync(process.execPath, ['test/helpers/export-fixtures.mjs', dataDir, dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }
  })
  if (fixtures.status !== 0) throw new Error('export-fixtures.mjs failed')
  const models = ['seed', 'cnn-flat']
  for (const m of models) {
    cli(['export', '--model', join(dir, m), '--format', 'onnx', '--out', join(dir, `${m}.onnx`)])
  }
  const raw = gunzipSync(readFileSync(join(dataDir, 't10k-images-idx3-ubyte.gz'))).subarray(16)
  const images = Float32Array.from(raw, (v) => v / 255)
  const backend = await tfjs.ready
  console.error(
    `tfjs backend: ${backend.name} (native ${backend.native}); ${rounds} rounds of ${seconds} s each`
  )

  const rows = []
  for (const m of models) {
    // One engine at a time, each closed before the next starts: ONNX Runtime's idle threads spin
    // for a while after a run, and on two cores they would slow whichever engine runs beside them.
    const engines = {
      'tfjs-node (worker)': async () => tfjs.load(m, join(dir, m)),
      'onnxruntime-node (worker)': () => onnxWorkerPredictor(join(dir, `${m}.onnx`)),
      // What --engine onnx uses on a 2-core machine (see defaultIntraOpThreads).
      'onnxruntime-node (worker, 1 thread)': () => onnxWorkerPredictor(join(dir, `${m}.onnx`), 1),
      'onnxruntime-node (main)': () => onnxPredictor(join(dir, `${m}.onnx`))
    }
    const all = {}
    for (const [name, make] of Object.entries(engines)) {
      const predict = await make()
      const parts = []
      for (let s = 0; s < 10000; s += 2000) {
        parts.push(await predict(images.slice(s * 784, (s + 2000) * 784)))
      }
      all[name] = Float32Array.from(parts.flatMap((p) => Array.from(p)))
      for (const batch of [1, 256]) {
        const { median, best } = await throughput(predict, images, batch)
        rows.push({
          model: m,
          engine: name,
          batch,
          median: Math.round(median),
          best: Math.round(best)
        })
        console.error(
          `${m.padEnd(9)} ${name.padEnd(35)} batch ${String(batch).padStart(3)}: ${Math.round(median)} images/s (best ${Math.round(best)})`
        )
      }
      await predict.close?.()
    }
    const [a, b] = Object.values(all)
    console.error(
      `${m}: max |tfjs - onnxruntime| ${maxAbsDiff(a, b).toExponential(2)}, same class for ${(100 * argmaxAgreement(a, b)).toFixed(2)}% of images`
    )
  }
  console.log(JSON.stringify({ seconds, rounds, rows }))
} finally {
  await tfjs.worker.terminate()
  rmSync(dir, { recursive: true, force: true })
}
