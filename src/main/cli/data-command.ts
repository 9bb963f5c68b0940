import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import { loadFashionMnist, missingFiles } from '../engine/data/fashion-mnist'
import { registerDataImportCommands } from './data-import-command'
import { DATA_OPTION_HELP, downloadWithProgress, locations, workspaceDataDir } from './options'

export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('the Fashion-MNIST dataset, and datasets imported from labelled folders')
  data
    .command('info')
    .description('where the dataset is read from, and its counts per class')
    .option('--data <dir>', DATA_OPTION_HELP)
    .option('--workspace <dir>', 'workspace folder')
    .action(async (flags: { data?: string; workspace?: string }) => {
      const { dataDir } = locations(flags)
      const d = await loadFashionMnist(dataDir)
      console.log(
        `Fashion-MNIST in ${dataDir}: ${d.train.count} training and ${d.test.count} test images`
      )
      const counts = (labels: Uint8Array): number[] =>
        CLASS_NAMES.map((_, c) => labels.filter((l) => l === c).length)
      const train = counts(d.train.labels)
      const test = counts(d.test.labels)
      CLASS_NAMES.forEach((name, c) =>
        console.log(
          `${name.padStart(12)}  train ${String(train[c]).padStart(5)}  test ${String(test[c]).padStart(5)}`
        )
      )
    })
  data
    .command('download')
    .description(
      'download the four dataset files (checksums verified) into the workspace or --data'
    )
    .option('--data <dir>', 'target folder (default: <workspace>/datasets/fashion-mnist)')
    .option('--workspace <dir>', 'workspace folder')
    .option(
      '--url <base>',
      'base URL to download from (default: $FASHION_MNIST_URL, else the official location)'
    )
    .action(async (flags: { data?: string; workspace?: string; url?: string }) => {
      const { workspace } = locations(flags)
      const dir = flags.data ?? workspaceDataDir(workspace)
      if (missingFiles(dir).length === 0)
        return console.log(`Fashion-MNIST already complete in ${dir}`)
      await downloadWithProgress(dir, flags.url)
      console.log(`Fashion-MNIST downloaded and verified in ${dir}`)
    })
  registerDataImportCommands(data)
}
