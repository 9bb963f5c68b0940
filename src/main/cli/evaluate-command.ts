import { join } from 'node:path'
import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import { formatClassificationReport, formatConfusionMatrix } from '@shared/metrics'
import { writeConfusionPng } from '../engine/charts/confusion-heatmap'
import { loadFashionMnist } from '../engine/data/fashion-mnist'
import { evaluateArtifacts } from '../engine/evaluation/evaluate'
import { MODEL_FILES, readModelDir } from '../engine/models/model-dir'
import { TrainingHost } from '../engine/worker/host'
import { DATA_OPTION_HELP, locationsWithData } from './options'

interface EvaluateFlags {
  model: string
  data?: string
  workspace?: string
  png?: string
  json?: boolean
  tta?: boolean
}

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('classification report and confusion matrix of a model on the 10,000 test images')
    .requiredOption('--model <dir>', 'model directory written by `train`')
    .option('--data <dir>', DATA_OPTION_HELP)
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
  const { dataDir } = await locationsWithData(flags)
  const data = await loadFashionMnist(dataDir)
  const host = new TrainingHost()
  try {
    const e = await evaluateArtifacts(host, model.artifacts, data.test.images, data.test.labels, {
      tta: flags.tta
    })
    const png = flags.png ?? join(model.dir, MODEL_FILES.confusion)
    await writeConfusionPng(
      e.confusion,
      CLASS_NAMES,
      png,
      `${model.metadata.id}: test set confusion matrix`
    )
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({
          model: model.dir,
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
