import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import { formatClassificationReport, formatConfusionMatrix } from '@shared/metrics'
import {
  PRESET_IDS,
  PRESETS,
  SCHEDULES,
  TrainConfigSchema,
  type PresetId,
  type TrainConfig
} from '@shared/training'
import type { FashionMnist } from '../engine/data/fashion-mnist'
import { trainEnsemble } from '../engine/ensemble/train-ensemble'
import { limitSplit, runExperiment } from '../engine/experiment'
import { modelsDir } from '../engine/workspace'
import { DATA_OPTION_HELP, intOption, listOption, locationsWithData, numberOption } from './options'
import { TrainingProgress } from './progress'
import { runCancellableJob } from './cancellable-job'

interface TrainFlags {
  preset: string
  epochs?: number
  hiddenUnits?: number[]
  convFilters?: number[]
  convsPerBlock?: number
  padding?: string
  batchNorm?: boolean
  dropout?: number
  shift?: number
  flip?: boolean
  erase?: boolean
  schedule?: string
  reduceOnPlateau?: boolean
  earlyStopping?: number
  labelSmoothing?: number
  mixedPrecision?: boolean
  trackTest?: boolean
  ensemble?: number
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
      `network and hyperparameters to start from: ${PRESET_IDS.join(', ')} (seed: the study, 784-128-64-10)`,
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
    .option('--hidden-units <list>', 'dense layer widths, e.g. 128,64', listOption(1, 4096))
    .option(
      '--conv-filters <list>',
      'filters per convolution block, e.g. 32,64 (none: dense only)',
      listOption(1, 512, true)
    )
    .option(
      '--convs-per-block <n>',
      '3x3 convolutions per block before its 2x2 max pooling',
      intOption(1, 3)
    )
    .option('--padding <mode>', 'convolution padding: valid or same')
    .option('--batch-norm', 'batch normalization after each convolution and hidden dense layer')
    .option('--no-batch-norm', 'no batch normalization')
    .option('--dropout <rate>', 'dropout before each dense layer (0: off)', numberOption(0, 0.9))
    .option(
      '--shift <px>',
      'augmentation: random shifts of up to N pixels (0: off)',
      intOption(0, 8)
    )
    .option('--flip', 'augmentation: random left-right mirroring')
    .option('--no-flip', 'no mirroring')
    .option('--erase', 'augmentation: random erasing')
    .option('--no-erase', 'no random erasing')
    .option('--schedule <kind>', `learning-rate schedule: ${SCHEDULES.join(', ')}`)
    .option(
      '--reduce-on-plateau',
      'halve the learning rate after 2 epochs without a better validation loss'
    )
    .option(
      '--early-stopping <patience>',
      'stop after N epochs without a better validation loss, keeping the best weights (0: off)',
      intOption(0, 1000)
    )
    .option(
      '--label-smoothing <x>',
      'label smoothing of the targets (0: off)',
      numberOption(0, 0.5)
    )
    .option(
      '--mixed-precision',
      'compute the layers in bfloat16, weights in float32 (CPUs with AMX or AVX-512 BF16)'
    )
    .option('--no-mixed-precision', 'compute in float32 throughout')
    .option(
      '--track-test',
      'evaluate the test set after every epoch (time-to-accuracy; the test set is not used for any decision)'
    )
    .option(
      '--ensemble <n>',
      'train N models (seeds seed..seed+N-1) and save one model averaging them',
      intOption(1, 20)
    )
    .option('--json', 'print one JSON object with the results as the last line of stdout')
    .action(async (flags: TrainFlags) => train(flags))
}

async function train(flags: TrainFlags): Promise<void> {
  const preset = PRESETS[flags.preset as PresetId] as TrainConfig | undefined
  if (!preset) {
    throw new Error(`unknown preset "${flags.preset}" (available: ${PRESET_IDS.join(', ')})`)
  }
  if (flags.padding !== undefined && !['valid', 'same'].includes(flags.padding)) {
    throw new Error(`--padding must be valid or same, not "${flags.padding}"`)
  }
  if (flags.schedule !== undefined && !(SCHEDULES as readonly string[]).includes(flags.schedule)) {
    throw new Error(`--schedule must be one of ${SCHEDULES.join(', ')}, not "${flags.schedule}"`)
  }
  const parsed = TrainConfigSchema.safeParse({
    ...preset,
    ...(flags.hiddenUnits !== undefined && { hiddenUnits: flags.hiddenUnits }),
    ...(flags.convFilters !== undefined && { convFilters: flags.convFilters }),
    ...(flags.convsPerBlock !== undefined && { convsPerBlock: flags.convsPerBlock }),
    ...(flags.padding !== undefined && { padding: flags.padding }),
    ...(flags.batchNorm !== undefined && { batchNorm: flags.batchNorm }),
    ...(flags.dropout !== undefined && { dropout: flags.dropout }),
    augment: {
      shift: flags.shift ?? preset.augment.shift,
      flip: flags.flip ?? preset.augment.flip,
      erase: flags.erase ?? preset.augment.erase
    },
    ...(flags.schedule !== undefined && { schedule: flags.schedule }),
    ...(flags.reduceOnPlateau !== undefined && { reduceOnPlateau: flags.reduceOnPlateau }),
    ...(flags.earlyStopping !== undefined && { earlyStoppingPatience: flags.earlyStopping }),
    ...(flags.labelSmoothing !== undefined && { labelSmoothing: flags.labelSmoothing }),
    ...(flags.mixedPrecision !== undefined && { mixedPrecision: flags.mixedPrecision }),
    ...(flags.epochs !== undefined && { epochs: flags.epochs }),
    ...(flags.batchSize !== undefined && { batchSize: flags.batchSize }),
    ...(flags.learningRate !== undefined && { learningRate: flags.learningRate }),
    ...(flags.validationSplit !== undefined && { validationSplit: flags.validationSplit }),
    ...(flags.seed !== undefined && { seed: flags.seed })
  })
  if (!parsed.success) {
    throw new Error(
      `invalid hyperparameters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
    )
  }
  const config = parsed.data
  const { workspace, dataDir } = await locationsWithData(flags)
  const progress = new TrainingProgress(config.epochs)
  const tensorsAfterEpoch: number[] = []
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
      trackTest: flags.trackTest,
      ...((flags.ensemble ?? 1) > 1 && {
        presetLabel: `ensemble-${flags.ensemble}x${config.preset}`,
        members: Array.from({ length: flags.ensemble! }, (_, k) => ({
          id: `member ${k + 1} (seed ${config.seed + k})`,
          preset: config.preset
        })),
        produce: (data: FashionMnist) =>
          trainEnsemble({
            host,
            config,
            members: flags.ensemble!,
            train: flags.trainLimit ? limitSplit(data.train, flags.trainLimit) : data.train,
            test: flags.trackTest
              ? { images: data.test.images, labels: data.test.labels }
              : undefined,
            onMember: (k, n) =>
              process.stderr.write(`ensemble member ${k + 1}/${n} (seed ${config.seed + k})\n`),
            onBatch: (p) => progress.batch(p),
            onEpoch: (logs, numTensors) => {
              tensorsAfterEpoch.push(numTensors)
              progress.epoch(logs)
            },
            onCancelReady
          })
      }),
      onCancelReady,
      onBatch: (p) => progress.batch(p),
      onEpoch: (logs, numTensors) => {
        tensorsAfterEpoch.push(numTensors)
        progress.epoch(logs)
      },
      onCheckpointKept: (dir) =>
        process.stderr.write(
          `the best epoch's weights so far are kept in ${dir} (tfjs model files)\n`
        ),
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
          // Live tensors in the worker after each epoch: flat unless something leaks.
          tensorsAfterEpoch,
          history: result.history
        }) + '\n'
      )
    }
  })
}
