// The command line end to end on real data and native TensorFlow, through the built binary.
// Bad inputs tried: out-of-range and malformed flags, an unknown preset, an --out directory that
// already exists, a missing dataset folder, a missing / corrupt / truncated model directory, and
// Ctrl-C (SIGINT) during training.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lastJsonLine, runCli } from '../helpers/cli'

let tmp: string
let modelDir: string
let trained: {
  backend: string
  native: boolean
  testAccuracy: number
  modelDir: string
  history: unknown[]
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-cli-'))
  modelDir = join(tmp, 'model')
  const run = await runCli([
    'train',
    '--epochs',
    '2',
    '--train-limit',
    '3000',
    '--out',
    modelDir,
    '--json'
  ])
  expect(run.code, run.stderr).toBe(0)
  trained = lastJsonLine(run.stdout)
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('fashion-studio train', () => {
  it('trains on native TensorFlow and reports JSON as its last line', () => {
    expect(trained.backend).toBe('tensorflow')
    expect(trained.native).toBe(true)
    expect(trained.modelDir).toBe(modelDir)
    expect(trained.history).toHaveLength(2)
    expect(trained.testAccuracy).toBeGreaterThan(0.6)
  })

  it('trains the seed network as a graph to the same result as its eager flat-vector path', async () => {
    // The same run twice with the kernel profile on, which names the graph steps: by default they
    // run as graphs; FASHION_STUDIO_EAGER_STEPS=1 takes the seed's own path (one flat weight vector,
    // eager kernels). Same data, seed and order: the same model, saved the same way.
    const train = (dir: string, eager: string) =>
      runCli(['train', '--epochs', '2', '--train-limit', '3000', '--out', dir, '--json'], {
        env: { FASHION_STUDIO_EAGER_STEPS: eager, FASHION_STUDIO_PROFILE_OPS: '1' }
      })
    const graphDir = join(tmp, 'graph-model')
    const eagerDir = join(tmp, 'eager-model')
    const graphRun = await train(graphDir, '')
    const eagerRun = await train(eagerDir, '1')
    expect(graphRun.code, graphRun.stderr).toBe(0)
    expect(eagerRun.code, eagerRun.stderr).toBe(0)
    expect(graphRun.stderr).toMatch(/graph run: step\/loss_sum .* 76 calls/)
    expect(eagerRun.stderr).not.toMatch(/graph run/)
    expect(eagerRun.stderr).toMatch(/^MatMul /m)
    const graph = lastJsonLine<typeof trained>(graphRun.stdout)
    const eager = lastJsonLine<typeof trained>(eagerRun.stdout)
    expect(Math.abs(eager.testAccuracy - graph.testAccuracy)).toBeLessThan(0.005)
    const models = await Promise.all(
      [graphDir, eagerDir].map(async (d) => ({
        topology: JSON.parse(await readFile(join(d, 'model.json'), 'utf8')).modelTopology,
        weights: new Float32Array((await readFile(join(d, 'weights.bin'))).buffer.slice(0))
      }))
    )
    const [a, b] = models as [(typeof models)[0], (typeof models)[0]]
    expect(a.topology).toEqual(b.topology)
    expect(a.weights.length).toBe(b.weights.length)
    let worst = 0
    for (let i = 0; i < a.weights.length; i++) {
      worst = Math.max(worst, Math.abs(a.weights[i]! - b.weights[i]!))
    }
    expect(worst).toBeLessThan(1e-3)
  })

  it('writes a complete model directory with pictures people can open', async () => {
    expect((await readdir(modelDir)).sort()).toEqual([
      'classification-report.txt',
      'confusion-matrix.png',
      'evaluation.json',
      'history.json',
      'metadata.json',
      'model.json',
      'test-probabilities.bin',
      'training-curves.png',
      'weights.bin'
    ])
    const metadata = JSON.parse(await readFile(join(modelDir, 'metadata.json'), 'utf8'))
    expect(metadata).toMatchObject({
      preset: 'seed',
      parent: null,
      backend: { name: 'tensorflow' }
    })
    expect(metadata.config).toMatchObject({ epochs: 2, batchSize: 64, hiddenUnits: [128, 64] })
    expect(metadata.dataset).toMatchObject({
      trainCount: 2400,
      validationCount: 600,
      testCount: 10000
    })
    const curves = await sharp(join(modelDir, 'training-curves.png')).metadata()
    expect(curves.format).toBe('png')
    expect(await readFile(join(modelDir, 'classification-report.txt'), 'utf8')).toMatch(
      /Ankle boot/
    )
    expect((await readdir(tmp)).filter((f) => f.includes('.partial'))).toEqual([])
  })

  it.each([
    [['--epochs', '0'], /--epochs.*expected a whole number from 1 to 1000, got "0"/],
    [['--batch-size', 'abc'], /--batch-size.*expected a whole number/],
    [['--learning-rate', '5'], /--learning-rate.*expected a number from/],
    [['--preset', 'resnet'], /unknown preset "resnet"/]
  ])('rejects bad flags %j with a clear message', async (flags, message) => {
    const run = await runCli(['train', ...flags, '--out', join(tmp, 'never')])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(message)
    expect(existsSync(join(tmp, 'never'))).toBe(false)
  })

  it('refuses to overwrite an existing directory, and leaves it as it was', async () => {
    const existing = join(tmp, 'existing')
    await mkdir(existing)
    await writeFile(join(existing, 'keep.txt'), 'mine')
    const run = await runCli(['train', '--epochs', '1', '--train-limit', '200', '--out', existing])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/already exists; models are never overwritten/)
    expect(await readdir(existing)).toEqual(['keep.txt'])
  })

  it('names the missing file when the dataset folder is incomplete', async () => {
    const run = await runCli(['train', '--data', join(tmp, 'no-data'), '--out', join(tmp, 'never')])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/train-images-idx3-ubyte\.gz/)
  })

  it('cancels on Ctrl-C without writing a model', async () => {
    const out = join(tmp, 'cancelled')
    let sent = false
    const run = await runCli(['train', '--epochs', '30', '--out', out], {
      onStderr: (text, kill) => {
        if (!sent && /Epoch 1\//.test(text)) {
          sent = true
          kill('SIGINT')
        }
      }
    })
    expect(sent).toBe(true)
    expect(run.code).toBe(130)
    expect(run.stderr).toMatch(/training cancelled; no model was written/)
    expect(existsSync(out)).toBe(false)
    expect((await readdir(tmp)).filter((f) => f.includes('.partial'))).toEqual([])
  })
})

describe('fashion-studio evaluate', () => {
  it('prints the scikit-learn style report and confusion matrix, and agrees with train', async () => {
    const run = await runCli(['evaluate', '--model', modelDir])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/precision\s+recall\s+f1-score\s+support/)
    expect(run.stdout).toMatch(/macro avg/)
    expect(run.stdout).toMatch(/weighted avg/)
    expect(run.stdout).toMatch(/rows: true class, columns: predicted class/)
    const json = lastJsonLine<{ accuracy: number; confusion: number[][] }>(
      (await runCli(['evaluate', '--model', modelDir, '--json', '--png', join(tmp, 'cm.png')]))
        .stdout
    )
    expect(json.accuracy).toBe(trained.testAccuracy)
    expect(json.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000)
    expect((await sharp(join(tmp, 'cm.png')).metadata()).format).toBe('png')
  })

  it.each([
    ['a missing directory', async (d: string) => rm(d, { recursive: true }), /not found/],
    [
      'a corrupt model.json',
      async (d: string) => writeFile(join(d, 'model.json'), '{"modelTop'),
      /model\.json is not valid JSON/
    ],
    [
      'a truncated weights.bin',
      async (d: string) => truncate(join(d, 'weights.bin'), 1000),
      /weights\.bin has 1000 bytes/
    ],
    [
      'a missing metadata.json',
      async (d: string) => rm(join(d, 'metadata.json')),
      /metadata\.json is missing/
    ]
  ])('reports %s clearly', async (_name, damage, message) => {
    const copy = join(tmp, `damaged-${Math.random().toString(36).slice(2)}`)
    await mkdir(copy)
    for (const f of await readdir(modelDir))
      await writeFile(join(copy, f), await readFile(join(modelDir, f)))
    await damage(copy)
    const run = await runCli(['evaluate', '--model', copy])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(message)
  })
})

describe('fashion-studio data', () => {
  it('downloads the dataset with progress and verified checksums from a mirror', async () => {
    const { createServer } = await import('node:http')
    const { createReadStream, statSync } = await import('node:fs')
    const source = '/usr/share/datasets/fashion-mnist'
    const server = createServer((req, res) => {
      const file = join(source, (req.url ?? '').replace(/^\//, ''))
      if (!existsSync(file)) return void res.writeHead(404).end()
      res.writeHead(200, { 'content-length': statSync(file).size })
      createReadStream(file).pipe(res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    try {
      const dir = join(tmp, 'downloaded')
      const run = await runCli([
        'data',
        'download',
        '--data',
        dir,
        '--url',
        `http://127.0.0.1:${port}/`
      ])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stderr).toMatch(/t10k-labels-idx1-ubyte\.gz: 100%/)
      expect(run.stdout).toMatch(/downloaded and verified/)
      const info = await runCli(['data', 'info', '--data', dir])
      expect(info.stdout).toMatch(/60000 training and 10000 test images/)
      expect(info.stdout).toMatch(/Ankle boot {2}train {2}6000 {2}test {2}1000/)
    } finally {
      server.close()
    }
  })
})
