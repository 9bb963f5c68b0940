#!/usr/bin/env node
// Load test of `fashion-studio serve` on loopback (autocannon, bounded in time): throughput and
// p50/p99 latency at 1, 16 and 64 connections for single 28x28 instances on the JSON endpoint, and
// for photos on the image endpoint when the server has one; errors; the server's memory before and
// after; for each inference engine (--engine tfjs and onnx), one server after the other, then the two
// side by side. Goals on this machine: >= 2,000 predictions/s with p99 < 50 ms at 16 connections;
// >= 200 images/s on the image endpoint.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import autocannon from 'autocannon'
import sharp from 'sharp'

const seconds = Number(process.env.BENCH_SERVE_SECONDS ?? 5)
const dir = mkdtempSync(join(tmpdir(), 'fs-bench-serve-'))
const dataDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist'

function rssMB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : NaN
}

function startServer(model, engine) {
  const child = spawn(
    process.execPath,
    [
      'bin/fashion-studio.cjs',
      'serve',
      '--model',
      model,
      '--port',
      '0',
      '--quiet',
      '--engine',
      engine
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /health: {3}GET {2}(http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(out)
      if (m && out.includes('ready'))
        resolve({ child, url: m[1], hasImage: out.includes(':classify-image') })
    })
    child.on('exit', (code) => reject(new Error(`serve exited (${code})`)))
  })
}

function run(opts) {
  return new Promise((resolve, reject) =>
    autocannon({ ...opts, duration: seconds }, (err, res) => (err ? reject(err) : resolve(res)))
  )
}

let server
try {
  console.error('training a seed model for the load test (1 epoch) ...')
  const model = join(dir, 'model')
  const trained = spawnSync(
    process.execPath,
    ['bin/fashion-studio.cjs', 'train', '--epochs', '1', '--out', model],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  )
  if (trained.status !== 0) throw new Error('training failed')
  const images = gunzipSync(readFileSync(join(dataDir, 't10k-images-idx3-ubyte.gz'))).subarray(16)
  const body = JSON.stringify({
    instances: [Array.from(images.subarray(0, 784), (v) => Number((v / 255).toFixed(4)))]
  })
  // Photo-like JPEGs (0.3-0.5 MP: a test image upscaled, dark on an off-white backdrop with margins).
  const photos = await Promise.all(
    Array.from({ length: 48 }, (_, i) => {
      const px = Buffer.from(images.subarray(i * 784, (i + 1) * 784).map((v) => 255 - v))
      const size = 360 + (i % 5) * 40
      return sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(size, size, { kernel: 'cubic' })
        .extend({ top: 100, bottom: 100, left: 140, right: 140, background: '#ffffff' })
        .toColourspace('srgb')
        .tint({ r: 244, g: 238, b: 226 })
        .jpeg({ quality: 85 })
        .toBuffer()
    })
  )
  const header = ['engine', 'endpoint', 'connections', 'requests/s', 'p50 ms', 'p99 ms', 'errors']
  const rows = [[...header, 'non-2xx']]
  const memory = []
  // One server at a time, each stopped before the next starts: two cores are shared.
  for (const engine of ['tfjs', 'onnx']) {
    console.error(`load test, --engine ${engine} ...`)
    const { child, url } = await startServer(model, engine)
    server = child
    const before = rssMB(child.pid)
    const row = (endpoint, connections, r) =>
      rows.push([
        engine,
        endpoint,
        String(connections),
        r.requests.average.toFixed(0),
        String(r.latency.p50),
        String(r.latency.p99),
        String(r.errors),
        String(r.non2xx)
      ])
    for (const connections of [1, 16, 64]) {
      const r = await run({
        url: `${url}/v1/models/seed:predict`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections
      })
      row('JSON, 1 instance', connections, r)
    }
    for (const connections of [1, 16, 64]) {
      const r = await run({
        url: `${url}/v1/models/seed:classify-image`,
        connections,
        requests: photos.map((body) => ({
          method: 'POST',
          headers: { 'content-type': 'image/jpeg' },
          body
        }))
      })
      row('image (JPEG)', connections, r)
    }
    memory.push(`${engine}: ${before} MB before, ${rssMB(child.pid)} MB after`)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGINT')
    await exited
    server = undefined
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
  console.log(
    '\nserving, loopback, ' +
      seconds +
      ' s per row\n' +
      rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n')
  )
  console.log(`server resident memory: ${memory.join('; ')}`)
  // The two engines side by side: requests/s (p99 ms).
  const cell = (engine, endpoint, connections) => {
    const r = rows.find((x) => x[0] === engine && x[1] === endpoint && x[2] === connections)
    return `${r[3]} (p99 ${r[5]} ms)`
  }
  const pairs = [['endpoint', 'connections', 'tfjs requests/s', 'onnx requests/s']]
  for (const endpoint of ['JSON, 1 instance', 'image (JPEG)']) {
    for (const c of ['1', '16', '64'])
      pairs.push([endpoint, c, cell('tfjs', endpoint, c), cell('onnx', endpoint, c)])
  }
  const pw = pairs[0].map((_, c) => Math.max(...pairs.map((row) => row[c].length)))
  console.log(
    '\ntfjs vs onnx\n' +
      pairs.map((row) => row.map((x, c) => x.padEnd(pw[c])).join('  ')).join('\n')
  )
} finally {
  server?.kill('SIGINT')
  rmSync(dir, { recursive: true, force: true })
}
