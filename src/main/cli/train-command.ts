import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import { formatClassificationReport, formatConfusionMatrix } from '@shared/metrics'
import { SEED_PRESET, TrainConfigSchema } from '@shared/training'
import { runExperiment } from '../engine/experiment'
import { modelsDir } from '../engine/workspace'
import { DATA_OPTION_HELP, intOption, locationsWithData, numberOption } from './options'
import { TrainingProgress } from './progress'
import { runCancellableJob } from './cancellable-job'

interface TrainFlags {
  preset: string
  epochs?: number
  batchSize?: number
  learningRate?: number
  validationSplit?: number
  seed?: number
  out?: string
  data?: string
  workspace?: string
  trainLimit?: number
  json?: boolean
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a model from a preset, evaluate it on the test set and save it')
    .option(
      '--preset <name>',
      'network and hyperparameters to start from (seed: the study, 784-128-64-10)',
      'seed'
    )
    .option('--epochs <n>', 'epochs (seed: 15)', intOption(1, 1000))
    .option('--batch-size <n>', 'batch size (seed: 64)', intOption(1, 8192))
    .option('--learning-rate <x>', 'Adam learning rate (seed: 0.001)', numberOption(1e-6, 1))
    .option(
      '--validation-split <x>',
      'share of training images held out (seed: 0.2)',
      numberOption(0, 0.9)
    )
    .option(
      '--seed <n>',
      'random seed for initialisation and shuffling (seed: 0)',
      intOption(0, 2 ** 31 - 1)
    )
    .option(
      '--out <dir>',
      'model directory to create (default: a new folder in <workspace>/models)'
    )
    .option('--data <dir>', DATA_OPTION_HELP)
    .option(
      '--workspace <dir>',
      'workspace folder (default: $FASHION_STUDIO_WORKSPACE or ~/FashionStudio)'
    )
    .option(
      '--train-limit <n>',
      'use only the first N training images (quick trials)',
      intOption(10, 60000)
    )
    .option('--json', 'print one JSON object with the results as the last line of stdout')
    .action(async (flags: TrainFlags) => train(flags))
}

async function train(flags: TrainFlags): Promise<void> {
  if (flags.preset !== 'seed') throw new Error(`unknown preset "${flags.preset}" (available: seed)`)
  const config = TrainConfigSchema.parse({
    ...SEED_PRESET,
    ...(flags.epochs !== undefined && { epochs: flags.epochs }),
    ...(flags.batchSize !== undefined && { batchSize: flags.batchSize }),
    ...(flags.learningRate !== undefined && { learningRate: flags.learningRate }),
    ...(flags.validationSplit !== undefined && { validationSplit: flags.validationSplit }),
    ...(flags.seed !== undefined && { seed: flags.seed })
  })
  const { workspace, dataDir } = await locationsWithData(flags)
  const progress = new TrainingProgress(config.epochs)
  await runCancellableJob('training', progress, async ({ host, onCancelReady }) => {
    const backend = await host.backend()
    process.stderr.write(
      `backend: ${backend.name}${backend.native ? ' (native TensorFlow)' : ''}\n`
    )
    if (backend.warning) process.stderr.write(`WARNING: ${backend.warning}\n`)
    const result = await runExperiment({
      host,
      config,
      dataDir,
      modelsDir: modelsDir(workspace),
      outDir: flags.out,
      trainLimit: flags.trainLimit,
      onCancelReady,
      onBatch: (p) => progress.batch(p),
      onEpoch: (logs) => progress.epoch(logs),
      onStage: (stage, detail) => {
        if (stage === 'loading-data') process.stderr.write(`loading Fashion-MNIST from ${detail}\n`)
        if (stage === 'evaluating') process.stderr.write('evaluating on the test set...\n')
      }
    })
    const { report, confusion } = result.evaluation
    const out = flags.json ? process.stderr : process.stdout
    out.write(
      `\n${formatClassificationReport(report)}\n\n${formatConfusionMatrix(confusion, CLASS_NAMES)}\n\n`
    )
    out.write(
      `test accuracy ${report.accuracy.toFixed(4)}; ${result.metadata.timings.secondsPerEpoch.toFixed(2)} s/epoch on ${result.backend.name}\n`
    )
    out.write(`model saved to ${result.modelDir}\n`)
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({
          modelDir: result.modelDir,
          backend: result.backend.name,
          native: result.backend.native,
          preset: config.preset,
          config,
          testAccuracy: report.accuracy,
          macroF1: report.macroAvg.f1,
          f1: Object.fromEntries(report.classes.map((c) => [c.name, c.f1])),
          secondsPerEpoch: result.metadata.timings.secondsPerEpoch,
          trainSeconds: result.metadata.timings.trainSeconds,
          predictTestSeconds: result.metadata.timings.predictTestSeconds,
          // The whole process, worker included: resident memory high-water mark.
          maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
          history: result.history
        }) + '\n'
      )
    }
  })
}
