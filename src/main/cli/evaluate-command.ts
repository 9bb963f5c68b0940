import { join } from 'node:path'
import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import { formatClassificationReport, formatConfusionMatrix } from '@shared/metrics'
import { writeConfusionPng } from '../engine/charts/confusion-heatmap'
import { openDataset } from '../engine/datasets/dataset-source'
import { evaluateOnDataset } from '../engine/datasets/evaluate-dataset'
import { LabelStore } from '../engine/labels/label-store'
import { MODEL_FILES, readModelDir } from '../engine/models/model-dir'
import { TrainingHost } from '../engine/worker/host'
import { DATA_OPTION_HELP, locations, locationsWithData } from './options'

interface EvaluateFlags {
  model: string
  data?: string
  workspace?: string
  png?: string
  json?: boolean
  tta?: boolean
  dataset?: string
}

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description(
      'classification report and confusion matrix of a model on the 10,000 test images (or an imported dataset)'
    )
    .requiredOption('--model <dir>', 'model directory written by `train`')
    .option('--data <dir>', DATA_OPTION_HELP)
    .option(
      '--dataset <name>',
      'evaluate on all images of a dataset imported with `data import` (labels as corrected; excluded images left out)'
    )
    .option('--workspace <dir>', 'workspace folder')
    .option(
      '--png <file>',
      'where to write the confusion-matrix heatmap (default: in the model directory)'
    )
    .option('--tta', 'test-time augmentation: average with the prediction for the mirrored image')
    .option('--json', 'print the report and confusion matrix as one JSON object')
    .action(async (flags: EvaluateFlags) => evaluate(flags))
}

async function evaluate(flags: EvaluateFlags): Promise<void> {
  const model = await readModelDir(flags.model)
  // An imported dataset needs no Fashion-MNIST download.
  const { workspace, dataDir } = flags.dataset ? locations(flags) : await locationsWithData(flags)
  const source = await openDataset({ workspace, dataDir, dataset: flags.dataset })
  const imported = source.kind === 'imported'
  // Imported datasets are judged on their labels as corrected (they are the user's own to fix);
  // Fashion-MNIST on its files' labels, comparable with every published figure.
  const store = imported
    ? await LabelStore.open(workspace, source.data, { datasetId: source.id })
    : undefined
  const host = new TrainingHost()
  try {
    const e = await evaluateOnDataset(host, model.artifacts, source, store, { tta: flags.tta })
    const png =
      flags.png ??
      join(model.dir, imported ? `confusion-matrix-${source.id}.png` : MODEL_FILES.confusion)
    await writeConfusionPng(
      e.confusion,
      CLASS_NAMES,
      png,
      `${model.metadata.id}: ${imported ? source.id : 'test set'} confusion matrix`
    )
    if (imported) {
      process.stderr.write(
        `dataset ${source.id}: ${source.data.test.count} images${e.excluded.length ? `, ${e.excluded.length} excluded` : ''}\n`
      )
    }
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({
          model: model.dir,
          dataset: source.id,
          images: source.data.test.count - e.excluded.length,
          accuracy: e.report.accuracy,
          tta: flags.tta === true,
          report: e.report,
          confusion: e.confusion,
          classes: CLASS_NAMES,
          png
        }) + '\n'
      )
      return
    }
    process.stdout.write(
      `${formatClassificationReport(e.report)}\n\n${formatConfusionMatrix(e.confusion, CLASS_NAMES)}\n\nconfusion matrix heatmap: ${png}\n`
    )
  } finally {
    await host.close()
  }
}
