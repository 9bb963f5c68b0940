// The CNN presets end to end through the built command line and worker: training with per-epoch
// test tracking, the saved model agreeing with the network it came from, ensembles, test-time
// augmentation, checkpoints of the best epoch surviving Ctrl-C, and export of a CNN.
// Bad inputs tried: an unknown preset, an unknown padding and schedule, a malformed filter list,
// early stopping without a validation split.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import type { EpochLogs } from '@shared/training'
import { readModelDir } from '../../src/main/engine/models/model-dir'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { lastJsonLine, runCli } from '../helpers/cli'
import { cpuHasBfloat16 } from '../../src/main/engine/training/precision'
import { realData, WORKER_FILE } from '../helpers/real-data'

interface Trained {
  modelDir: string
  testAccuracy: number
  history: EpochLogs[]
  config: { preset: string; batchNorm: boolean }
}

let tmp: string
let bn: Trained
let small: Trained
const host = new TrainingHost({ workerFile: WORKER_FILE })
const TINY = [
  '--train-limit',
  '3000',
  '--epochs',
  '2',
  '--conv-filters',
  '8,16',
  '--hidden-units',
  '32'
]

/** The batch-normalized run that the float32 and the mixed-precision checks both train. */
const BN_TRAIN = ['train', '--preset', 'cnn-bn', ...TINY, '--batch-size', '64', '--track-test']

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-cnn-'))
  const a = await runCli([...BN_TRAIN, '--out', join(tmp, 'bn'), '--json'])
  expect(a.code, a.stderr).toBe(0)
  bn = lastJsonLine(a.stdout)
  const b = await runCli([
    'train',
    '--preset',
    'cnn-small',
    ...TINY,
    '--out',
    join(tmp, 'small'),
    '--json'
  ])
  expect(b.code, b.stderr).toBe(0)
  small = lastJsonLine(b.stdout)
})
afterAll(async () => {
  await host.close()
  await rm(tmp, { recursive: true, force: true })
})

function mirrored(images: Uint8Array): Uint8Array {
  const out = new Uint8Array(images.length)
  for (let i = 0; i < images.length; i += 28) {
    for (let c = 0; c < 28; c++) out[i + c] = images[i + 27 - c]!
  }
  return out
}

describe('CNN presets', () => {
  it('train with the preset and the flags given, reporting the learning rate and test accuracy per epoch', async () => {
    expect(bn.config).toMatchObject({
      preset: 'cnn-bn',
      batchNorm: true,
      convFilters: [8, 16],
      hiddenUnits: [32]
    })
    expect(bn.history).toHaveLength(2)
    for (const h of bn.history) {
      expect(h.lr).toBeGreaterThan(0)
      expect(h.test_accuracy).toBeGreaterThan(0)
    }
    expect(small.testAccuracy).toBeGreaterThan(0.7)
    const meta = JSON.parse(await readFile(join(bn.modelDir, 'metadata.json'), 'utf8')) as {
      preset: string
    }
    expect(meta.preset).toBe('cnn-bn')
  })

  it('save a model that scores exactly what the network scored at its last epoch', () => {
    // test_accuracy comes from the training network's own inference pass; testAccuracy from the
    // saved tfjs model loaded again: batch norm, pooling order and weights all have to match.
    expect(bn.testAccuracy).toBeCloseTo(bn.history[1]!.test_accuracy!, 3)
  })

  it.runIf(cpuHasBfloat16())(
    'train in mixed precision to the float32 accuracy, saving float32 weights that score what the network scored',
    async () => {
      const run = await runCli([
        ...BN_TRAIN,
        '--mixed-precision',
        '--out',
        join(tmp, 'mixed'),
        '--json'
      ])
      expect(run.code, run.stderr).toBe(0)
      const mixed = lastJsonLine<Trained & { config: { mixedPrecision: boolean } }>(run.stdout)
      expect(mixed.config.mixedPrecision).toBe(true)
      // Same seed and data as the float32 run above: bfloat16 rounding moves it a little, no more.
      expect(Math.abs(mixed.testAccuracy - bn.testAccuracy)).toBeLessThan(0.03)
      expect(mixed.testAccuracy).toBeCloseTo(mixed.history[1]!.test_accuracy!, 3)
      const weights = await readFile(join(tmp, 'mixed', 'weights.bin'))
      const bnWeights = await readFile(join(bn.modelDir, 'weights.bin'))
      expect(weights.byteLength).toBe(bnWeights.byteLength)
    }
  )

  it('average the mirrored prediction with test-time augmentation', async () => {
    const data = await realData()
    const images = data.test.images.subarray(0, 50 * IMAGE_PIXELS)
    const { artifacts } = await readModelDir(bn.modelDir)
    const plain = await host.predict(artifacts, images)
    const flipped = await host.predict(artifacts, mirrored(images))
    const tta = await host.predict(artifacts, images, { tta: true })
    tta.forEach((p, i) => expect(p).toBeCloseTo((plain[i]! + flipped[i]!) / 2, 5))
  })

  it('combine into an ensemble that averages its members, usable wherever a model is', async () => {
    const out = join(tmp, 'ensemble')
    const run = await runCli([
      'ensemble',
      '--models',
      `${bn.modelDir},${small.modelDir}`,
      '--out',
      out,
      '--json'
    ])
    expect(run.code, run.stderr).toBe(0)
    const result = lastJsonLine<{ testAccuracy: number; members: { preset: string }[] }>(run.stdout)
    expect(result.members.map((m) => m.preset)).toEqual(['cnn-bn', 'cnn-small'])
    const data = await realData()
    const images = data.test.images.subarray(0, 50 * IMAGE_PIXELS)
    const [e, a, b] = await Promise.all(
      [out, bn.modelDir, small.modelDir].map(async (d) =>
        host.predict((await readModelDir(d)).artifacts, images)
      )
    )
    e!.forEach((p, i) => expect(p).toBeCloseTo((a![i]! + b![i]!) / 2, 5))
    const evaluated = await runCli(['evaluate', '--model', out, '--json'])
    expect(evaluated.code, evaluated.stderr).toBe(0)
    expect(lastJsonLine<{ accuracy: number }>(evaluated.stdout).accuracy).toBeCloseTo(
      result.testAccuracy,
      6
    )
    const exported = await runCli([
      'export',
      '--model',
      out,
      '--format',
      'onnx',
      '--out',
      join(tmp, 'e.onnx')
    ])
    expect(exported.code).not.toBe(0)
    expect(exported.stderr).toMatch(/export each member/)
    expect(existsSync(join(tmp, 'e.onnx'))).toBe(false)
    // An ensemble is not a member (the studio's "Create ensemble" refuses it the same way).
    const nested = await runCli([
      'ensemble',
      '--models',
      `${out},${small.modelDir}`,
      '--out',
      join(tmp, 'nested')
    ])
    expect(nested.code).not.toBe(0)
    expect(nested.stderr).toMatch(/ensemble is itself an ensemble of 2 models: choose its members/)
    expect(existsSync(join(tmp, 'nested'))).toBe(false)
  })

  it('train an ensemble of seeds with --ensemble', async () => {
    const out = join(tmp, 'seeds')
    const run = await runCli([
      'train',
      '--preset',
      'cnn-small',
      '--train-limit',
      '1500',
      '--epochs',
      '1',
      '--conv-filters',
      '8',
      '--hidden-units',
      '16',
      '--ensemble',
      '2',
      '--out',
      out,
      '--json'
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/ensemble member 2\/2 \(seed 1\)/)
    const meta = (await readModelDir(out)).metadata
    expect(meta.preset).toBe('ensemble-2xcnn-small')
    expect(meta.members).toHaveLength(2)
    expect(meta.metrics.testAccuracy).toBeGreaterThan(0.3) // chance is 0.1
  })

  it('fine-tune a batch-normalized CNN from its saved weights, and refuse to fine-tune an ensemble', async () => {
    const ws = join(tmp, 'ft-ws')
    const out = join(tmp, 'bn-finetuned')
    const run = await runCli([
      'finetune',
      '--model',
      bn.modelDir,
      '--epochs',
      '1',
      '--replay',
      '0.05',
      '--out',
      out,
      '--workspace',
      ws,
      '--json'
    ])
    expect(run.code, run.stderr).toBe(0)
    const json = lastJsonLine<{
      comparison: { before: { testAccuracy: number }; after: { testAccuracy: number } }
    }>(run.stdout)
    // It starts from the parent: the "before" figure is the parent's own accuracy, and a short
    // fine-tune at half the learning rate stays near it rather than starting from scratch.
    expect(json.comparison.before.testAccuracy).toBeCloseTo(bn.testAccuracy, 6)
    expect(json.comparison.after.testAccuracy).toBeGreaterThan(bn.testAccuracy - 0.1)
    const refused = await runCli(['finetune', '--model', join(tmp, 'ensemble'), '--workspace', ws])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/is an ensemble of 2 models; fine-tune its members/)
  })

  it('export a trained CNN to ONNX', async () => {
    const run = await runCli([
      'export',
      '--model',
      bn.modelDir,
      '--format',
      'onnx',
      '--out',
      join(tmp, 'bn.onnx'),
      '--json'
    ])
    expect(run.code, run.stderr).toBe(0)
  })

  it('keep the best epoch as a checkpoint when a run with early stopping is cancelled', async () => {
    const workspace = join(tmp, 'ws')
    let sent = false
    const run = await runCli(
      [
        'train',
        '--preset',
        'cnn-small',
        '--train-limit',
        '2000',
        '--epochs',
        '40',
        '--conv-filters',
        '8',
        '--hidden-units',
        '16',
        '--early-stopping',
        '30',
        '--workspace',
        workspace
      ],
      {
        onStderr: (text, kill) => {
          if (!sent && /Epoch 2\/40/.test(text)) {
            sent = true
            kill('SIGINT')
          }
        }
      }
    )
    expect(run.code).toBe(130)
    const kept = /kept in (\S+)/.exec(run.stderr)?.[1]
    expect(kept, run.stderr).toBeDefined()
    expect((await readdir(kept!)).sort()).toEqual(['model.json', 'weights.bin'])
    const modelJson = JSON.parse(await readFile(join(kept!, 'model.json'), 'utf8')) as {
      userDefinedMetadata: { epoch: number }
    }
    expect(modelJson.userDefinedMetadata.epoch).toBeGreaterThanOrEqual(1)
  })

  it.each([
    [
      ['--preset', 'resnet'],
      /unknown preset "resnet" \(available: seed, cnn-small, cnn-bn, cnn-best\)/
    ],
    [['--preset', 'cnn-small', '--padding', 'diagonal'], /--padding must be valid or same/],
    [
      ['--preset', 'cnn-small', '--schedule', 'weekly'],
      /--schedule must be one of constant, cosine, one-cycle/
    ],
    [['--preset', 'cnn-small', '--conv-filters', '8,x'], /separated by commas/],
    [
      [
        '--preset',
        'cnn-small',
        '--early-stopping',
        '2',
        '--validation-split',
        '0',
        '--train-limit',
        '500'
      ],
      /set a validation split above 0/
    ]
  ])('refuse bad settings with a clear message: %s', async (args, message) => {
    const run = await runCli(['train', ...args, '--out', join(tmp, 'never')])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(message)
    expect(existsSync(join(tmp, 'never'))).toBe(false)
  })
})
