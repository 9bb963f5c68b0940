#!/usr/bin/env node
// `npm run bench` (second part): classifying a folder of product photos end to end through the built
// command line: photos/s and where the time goes (read, decode, preprocessing, inference), with each
// inference engine (--engine tfjs and onnx) side by side.
// The photos are generated once from Fashion-MNIST test images (dark garment on a light, tinted
// backdrop with wide margins, 0.3-1 MP JPEG) and cached in the temp folder, so reruns measure only
// classify. BENCH_PHOTOS sets how many (default 3000).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import sharp from 'sharp'

const count = Number(process.env.BENCH_PHOTOS ?? 3000)
const dataDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist'
const photos = join(tmpdir(), `fashion-studio-bench-photos-v1-${count}`)
const CLI = 'bin/fashion-studio.cjs'

const BACKDROPS = [
  [250, 250, 248],
  [244, 240, 230],
  [236, 224, 200],
  [222, 222, 222],
  [220, 232, 245]
]
const GARMENTS = [
  [20, 20, 22],
  [28, 38, 72],
  [72, 44, 30],
  [40, 60, 40],
  [90, 24, 36]
]

function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function loadTest() {
  const images = gunzipSync(readFileSync(join(dataDir, 't10k-images-idx3-ubyte.gz'))).subarray(16)
  const labels = gunzipSync(readFileSync(join(dataDir, 't10k-labels-idx1-ubyte.gz'))).subarray(8)
  return { images, labels }
}

/** One photo: composed at low resolution (garment 56 px), then upscaled to 0.3-1 MP and JPEG'd. */
async function writePhoto(images, i, file) {
  const rand = mulberry32(7919 * (i + 1))
  const pick = (xs) => xs[Math.floor(rand() * xs.length)]
  const megapixels = 0.3 + 0.7 * rand()
  const aspect = 0.75 + 0.6 * rand()
  const W = Math.round(Math.sqrt(megapixels * 1e6 * aspect))
  const H = Math.round((megapixels * 1e6) / W)
  const scale = (Math.min(W, H) * (0.45 + 0.35 * rand())) / 56
  const w = Math.round(W / scale)
  const h = Math.round(H / scale)
  const ox = Math.round(rand() * (w - 56))
  const oy = Math.round(rand() * (h - 56))
  const bg = pick(BACKDROPS)
  const fg = pick(GARMENTS)
  const img = images.subarray(i * 784, (i + 1) * 784)
  const canvas = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx = Math.floor((x - ox) / 2)
      const gy = Math.floor((y - oy) / 2)
      const a = gx >= 0 && gy >= 0 && gx < 28 && gy < 28 ? img[gy * 28 + gx] / 255 : 0
      for (let c = 0; c < 3; c++)
        canvas[3 * (y * w + x) + c] = Math.round(bg[c] * (1 - a) + fg[c] * a)
    }
  }
  await sharp(canvas, { raw: { width: w, height: h, channels: 3 } })
    .resize(W, H, { kernel: 'cubic' })
    .jpeg({ quality: 75 + Math.floor(rand() * 18) })
    .toFile(file)
}

async function generate() {
  if (existsSync(join(photos, '.complete'))) return
  console.error(`generating ${count} photo-like JPEGs (0.3-1 MP) in ${photos} ...`)
  rmSync(photos, { recursive: true, force: true })
  mkdirSync(photos, { recursive: true })
  const { images, labels } = loadTest()
  const manifest = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const name = `photo-${String(i).padStart(5, '0')}.jpg`
      await writePhoto(images, i % 10000, join(photos, name))
      manifest[i] = `${name},${labels[i % 10000]}`
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  writeFileSync(join(photos, '.labels.csv'), manifest.join('\n') + '\n')
  writeFileSync(join(photos, '.complete'), '')
}

function cli(args, quiet = false) {
  const started = performance.now()
  const res = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    maxBuffer: 256 << 20
  })
  if (res.status !== 0) {
    if (quiet) process.stderr.write(res.stderr)
    throw new Error(`fashion-studio ${args[0]} failed (${res.status})`)
  }
  const lines = res.stdout.trim().split('\n')
  return {
    last: JSON.parse(lines[lines.length - 1]),
    lines,
    seconds: (performance.now() - started) / 1000
  }
}

function accuracy(lines, classes) {
  const labels = new Map(
    readFileSync(join(photos, '.labels.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','))
      .map(([f, l]) => [f, Number(l)])
  )
  let correct = 0
  for (const line of lines.slice(0, -1)) {
    const r = JSON.parse(line)
    if (r.status === 'ok' && classes.indexOf(r.class) === labels.get(r.file)) correct++
  }
  return correct / count
}

await generate()
const work = mkdtempSync(join(tmpdir(), 'fs-bench-photos-'))
try {
  console.error('\ntraining a model to classify with (3 epochs) ...')
  const model = join(work, 'model')
  const trained = cli(['train', '--epochs', '3', '--out', model, '--json'], true).last
  const classify = (out, extra = []) =>
    cli(['classify', photos, '--model', model, '--out', join(work, out), '--json', ...extra])
  const classes = JSON.parse(readFileSync(join(model, 'metadata.json'), 'utf8')).classes
  const perPhoto = (ms) => `${(ms / count).toFixed(2)} ms`
  const pct = (x) => `${(100 * x).toFixed(0)}%`
  // Both inference engines on the same photos and model, one after the other.
  const engines = ['tfjs', 'onnx']
  const columns = []
  for (const engine of engines) {
    console.error(`classifying ${count} photos (the default pipeline, engine ${engine}) ...`)
    const run = classify(`pipeline-${engine}.csv`, ['--engine', engine])
    // One photo at a time: each step's time is then its cost, not time spent queueing behind others.
    console.error(`classifying them again one at a time, to measure what each step costs ...`)
    const costs = classify(`one-at-a-time-${engine}.csv`, [
      '--concurrency',
      '1',
      '--engine',
      engine
    ]).last.summary
    const s = run.last.summary
    columns.push([
      String(count),
      `${s.classified} / ${s.skipped}`,
      s.photosPerSecond.toFixed(0),
      `${(count / run.seconds).toFixed(0)} (${run.seconds.toFixed(1)} s)`,
      perPhoto(1000 * s.cpuSeconds),
      `${pct(costs.shares.read)} (${perPhoto(costs.steps.readMs)})`,
      `${pct(costs.shares.decode)} (${perPhoto(costs.steps.decodeMs)})`,
      `${pct(costs.shares.preprocess)} (${perPhoto(costs.steps.preprocessMs)})`,
      `${pct(costs.shares.inference)} (${perPhoto(costs.steps.inferenceMs)})`,
      costs.photosPerSecond.toFixed(0),
      `${accuracy(run.lines, classes).toFixed(4)} / ${trained.testAccuracy.toFixed(4)}`
    ])
  }
  const labels = [
    'photos (0.3-1 MP JPEG)',
    'classified / skipped',
    'photos/s, classify loop',
    'photos/s, whole command (with start-up, model load, folder count)',
    'CPU per photo (all threads)',
    'cost share: read file',
    'cost share: decode (libvips)',
    'cost share: preprocessing',
    'cost share: inference',
    'photos/s, one at a time',
    'accuracy: photos / raw test set'
  ]
  const rows = [['', ...engines.map((e) => `--engine ${e}`)]].concat(
    labels.map((label, i) => [label, ...columns.map((c) => c[i])])
  )
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  console.log(
    '\nclassify a folder of product photos\n' +
      rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n')
  )
} finally {
  rmSync(work, { recursive: true, force: true })
}
