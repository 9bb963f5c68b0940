// `fashion-studio ensemble --models A,B,C`: existing models (any presets) combined into one model
// that averages their probabilities, evaluated on the test set and saved as a model directory.
import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import { formatClassificationReport, formatConfusionMatrix } from '@shared/metrics'
import { combineModels } from '../engine/ensemble/combine-models'
import { modelsDir } from '../engine/workspace'
import { TrainingHost } from '../engine/worker/host'
import { DATA_OPTION_HELP, locationsWithData } from './options'

interface EnsembleFlags {
  models: string
  out?: string
  data?: string
  workspace?: string
  json?: boolean
}

export function registerEnsembleCommand(program: Command): void {
  program
    .command('ensemble')
    .description('combine models into one that averages their probabilities; evaluate and save it')
    .requiredOption('--models <dirs>', 'model directories, separated by commas (at least 2)')
    .option(
      '--out <dir>',
      'model directory to create (default: a new folder in <workspace>/models)'
    )
    .option('--data <dir>', DATA_OPTION_HELP)
    .option('--workspace <dir>', 'workspace folder')
    .option('--json', 'print one JSON object with the results as the last line of stdout')
    .action(async (flags: EnsembleFlags) => ensemble(flags))
}

async function ensemble(flags: EnsembleFlags): Promise<void> {
  const dirs = flags.models
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
  if (dirs.length < 2)
    throw new Error('--models needs at least 2 model directories, separated by commas')
  const { workspace, dataDir } = await locationsWithData(flags)
  const host = new TrainingHost()
  try {
    const result = await combineModels({
      host,
      memberDirs: dirs,
      dataDir,
      modelsDir: modelsDir(workspace),
      outDir: flags.out
    })
    const { members } = result
    const { report, confusion } = result.evaluation
    const out = flags.json ? process.stderr : process.stdout
    out.write(
      `${formatClassificationReport(report)}\n\n${formatConfusionMatrix(confusion, CLASS_NAMES)}\n\n`
    )
    for (const m of members) {
      out.write(
        `member ${m.metadata.id}: test accuracy ${m.metadata.metrics.testAccuracy.toFixed(4)}\n`
      )
    }
    out.write(
      `ensemble test accuracy ${report.accuracy.toFixed(4)}\nmodel saved to ${result.modelDir}\n`
    )
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({
          modelDir: result.modelDir,
          testAccuracy: report.accuracy,
          macroF1: report.macroAvg.f1,
          members: result.metadata.members
        }) + '\n'
      )
    }
  } finally {
    await host.close()
  }
}
