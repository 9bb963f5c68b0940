// The `fashion-studio` command line: the same engine as the desktop app, for scripts and automation.
import { Command } from 'commander'
import { registerClassifyCommand } from './classify-command'
import { registerDataCommands } from './data-command'
import { registerEnsembleCommand } from './ensemble-command'
import { registerEvaluateCommand } from './evaluate-command'
import { registerFinetuneCommand } from './finetune-command'
import { registerLabelsCommands } from './labels-command'
import { registerExportCommand } from './export-command'
import { registerServeCommand } from './serve-command'
import { registerStudioCommand } from './studio-command'
import { registerTrainCommand } from './train-command'

const program = new Command()
  .name('fashion-studio')
  .description('Train, evaluate and use Fashion-MNIST image classifiers on native TensorFlow.')
  .version('0.1.0')
  .showHelpAfterError()

registerTrainCommand(program)
registerEvaluateCommand(program)
registerEnsembleCommand(program)
registerDataCommands(program)
registerLabelsCommands(program)
registerFinetuneCommand(program)
registerStudioCommand(program)
registerClassifyCommand(program)
registerServeCommand(program)
registerExportCommand(program)

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`)
  // exitCode, not exit(): the command has already stopped the training worker, and exiting while
  // TensorFlow's threads unwind can crash the process at teardown.
  process.exitCode = 1
})
