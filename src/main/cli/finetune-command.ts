// `fashion-studio finetune`: a new model from a parent, trained on the corrected labels, with the
// before/after comparison. The parent's directory is only read.
import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import type { FinetuneComparison, FinetuneMetrics } from '@shared/studio-api'
import { loadFashionMnist } from '../engine/data/fashion-mnist'
import { openDataset } from '../engine/datasets/dataset-source'
import { runFinetune } from '../engine/finetune/finetune'
import { LabelStore } from '../engine/labels/label-store'
import { modelsDir } from '../engine/workspace'
import { DATA_OPTION_HELP, intOption, locations, numberOption } from './options'
import { TrainingProgress } from './progress'
import { runCancellableJob } from './cancellable-job'

interface FinetuneFlags {
  model: string
  epochs: number
  replay: number
  learningRate?: number
  correctedRepeat: number
  out?: string
  data?: string
  dataset?: string
  workspace?: string
  json?: boolean
}

export function registerFinetuneCommand(program: Command): void {
  program
    .command('finetune')
    .description(
      'fine-tune a model on the corrected labels: a NEW model (its parent recorded and left untouched), with before/after test accuracy, per-class F1 and accuracy on the corrected images'
    )
    .requiredOption('--model <dir>', 'the parent model directory')
    .option('--epochs <n>', 'epochs', intOption(1, 50), 3)
    .option(
      '--replay <x>',
      'share of the uncorrected training images trained on alongside the corrected ones (0-1)',
      numberOption(0, 1),
      1
    )
    .option(
      '--learning-rate <x>',
      "Adam learning rate (default: half the parent's)",
      numberOption(1e-6, 1)
    )
    .option(
      '--corrected-repeat <n>',
      'times each corrected image is seen per epoch',
      intOption(1, 100),
      5
    )
    .option(
      '--out <dir>',
      'model directory to create (default: a new folder in <workspace>/models)'
    )
    .option('--data <dir>', DATA_OPTION_HELP)
    .option(
      '--dataset <name>',
      'also train on every image of a dataset imported with `data import` (labels as corrected), each --corrected-repeat times, with the Fashion-MNIST replay'
    )
    .option('--workspace <dir>', 'workspace folder (its label corrections are used)')
    .option('--json', 'print one JSON object with the comparison as the last line of stdout')
    .action(async (flags: FinetuneFlags) => finetune(flags))
}

async function finetune(flags: FinetuneFlags): Promise<void> {
  const { workspace, dataDir } = locations(flags)
  const data = await loadFashionMnist(dataDir)
  const labels = await LabelStore.open(workspace, data)
  const dataset = flags.dataset
    ? await openDataset({ workspace, dataDir, dataset: flags.dataset }).then(async (source) => ({
        source,
        labels: await LabelStore.open(workspace, source.data, { datasetId: source.id })
      }))
    : undefined
  const progress = new TrainingProgress(flags.epochs)
  await runCancellableJob('fine-tuning', progress, async ({ host, onCancelReady }) => {
    const s = labels.status()
    process.stderr.write(
      `corrections: ${s.relabelled} relabelled, ${s.excluded} excluded (journal ${s.file})\n`
    )
    const result = await runFinetune({
      host,
      parentDir: flags.model,
      dataDir,
      data,
      labels,
      epochs: flags.epochs,
      replay: flags.replay,
      dataset,
      learningRate: flags.learningRate,
      correctedRepeat: flags.correctedRepeat,
      modelsDir: modelsDir(workspace),
      outDir: flags.out,
      onCancelReady,
      onBatch: (p) => progress.batch(p),
      onEpoch: (logs) => progress.epoch(logs),
      onStage: (stage, detail) => {
        if (stage === 'evaluating')
          process.stderr.write(`evaluating ${detail ?? 'the new model'}...\n`)
      }
    })
    const out = flags.json ? process.stderr : process.stdout
    out.write(`\n${formatComparison(result.comparison)}\n`)
    out.write(`model saved to ${result.modelDir} (parent ${result.comparison.parent}, unchanged)\n`)
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({
          modelDir: result.modelDir,
          parent: result.metadata.parent,
          backend: result.backend.name,
          native: result.backend.native,
          config: result.metadata.config,
          comparison: result.comparison,
          history: result.history
        }) + '\n'
      )
    }
  })
}

/** The side-by-side table printed after a fine-tune. */
export function formatComparison(c: FinetuneComparison): string {
  const pct = (x: number | null): string =>
    x === null ? '     -' : (100 * x).toFixed(2).padStart(6) + '%'
  const f = (x: number): string => x.toFixed(4).padStart(7)
  const row = (name: string, b: string, a: string): string =>
    `${name.padEnd(34)}${b.padStart(10)}${a.padStart(12)}`
  const m = (fn: (x: FinetuneMetrics) => string): [string, string] => [fn(c.before), fn(c.after)]
  const lines = [
    `fine-tuned ${c.epochs} epochs on ${c.trainImages} images: ${c.correctedTrain} corrected (x${c.correctedRepeat}) + ${Math.round(c.replay * 100)}% replay; ${c.correctedTest} corrected and ${c.excluded} excluded images elsewhere`,
    '',
    row('', 'before', 'after'),
    row('test accuracy (corrected labels)', ...m((x) => pct(x.testAccuracy))),
    row('test accuracy (files\u2019 labels)', ...m((x) => pct(x.testAccuracyOriginal))),
    row('macro F1', ...m((x) => f(x.macroF1))),
    row(`corrected images (${c.after.corrected.count})`, ...m((x) => pct(x.corrected.accuracy))),
    '',
    ...(c.dataset
      ? [
          row(
            `dataset ${c.dataset.id} (${c.dataset.images}, trained on)`,
            pct(c.dataset.accuracyBefore),
            pct(c.dataset.accuracyAfter)
          ),
          ''
        ]
      : []),
    'F1 per class:',
    ...CLASS_NAMES.map((name, i) =>
      row(`  ${name}`, f(c.before.f1[i] ?? NaN), f(c.after.f1[i] ?? NaN))
    )
  ]
  return lines.join('\n')
}
