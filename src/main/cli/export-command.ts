import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { describeContract } from '../engine/export/contract'
import { EXPORT_FORMATS, exportModel, type ExportFormat } from '../engine/export/export-model'

interface ExportFlags {
  model: string
  format: ExportFormat
  out: string
  force?: boolean
  json?: boolean
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'export a model for other tools: Keras 3 (.keras), ONNX (.onnx) or a tfjs layers folder'
    )
    .requiredOption('--model <dir>', 'model directory written by `train` or the studio')
    .addOption(
      new Option('--format <format>', 'what to write').choices(EXPORT_FORMATS).makeOptionMandatory()
    )
    .requiredOption('--out <file>', 'file to write (.keras for Keras; a folder for tfjs)')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print the result (file, bytes, preprocessing contract) as one JSON object')
    .action(async (flags: ExportFlags) => runExport(flags))
}

async function runExport(flags: ExportFlags): Promise<void> {
  const result = await exportModel({
    modelDir: resolve(flags.model),
    format: flags.format,
    out: resolve(flags.out),
    overwrite: flags.force ?? false
  })
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n')
    return
  }
  process.stdout.write(
    `exported ${result.format} to ${result.out} (${result.bytes} bytes)\n${describeContract(result.contract)}\n`
  )
}
