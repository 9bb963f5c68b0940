// `fashion-studio data import FOLDER --name NAME` and `data list`: labelled folders (one subfolder
// per class) as datasets that evaluate, labels and finetune take with --dataset NAME.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { SingleBar } from 'cli-progress'
import { CLASS_NAMES } from '@shared/classes'
import { parseClassName } from '../engine/datasets/class-names'
import {
  importLabelledFolder,
  scanLabelledFolder,
  type FolderChoice
} from '../engine/datasets/import-folder'
import { listImportedDatasets } from '../engine/datasets/imported-dataset'
import { locations } from './options'

interface ImportFlags {
  name: string
  map: Record<string, FolderChoice>
  skipFolder: Record<string, FolderChoice>
  workspace?: string
  dryRun?: boolean
  json?: boolean
}

/** --map "tees=T-shirt/top": repeatable, collected into one mapping. */
function collectMap(value: string, previous: Record<string, FolderChoice>) {
  const at = value.lastIndexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`expected FOLDER=CLASS, got "${value}"`)
  const folder = value.slice(0, at).trim()
  const label = parseClassName(value.slice(at + 1))
  if (label === null) {
    throw new InvalidArgumentError(
      `unknown class "${value.slice(at + 1)}" for "${folder}": use 0-9 or one of ${CLASS_NAMES.join(', ')}`
    )
  }
  return { ...previous, [folder]: label }
}

function collectSkip(value: string, previous: Record<string, FolderChoice>) {
  return { ...previous, [value]: 'skip' as const }
}

export function registerDataImportCommands(data: Command): void {
  data
    .command('import')
    .description(
      'import a labelled folder (one subfolder per class, e.g. tees/, jeans/, sneakers/) as a dataset: every photo preprocessed like `classify` does, written to <workspace>/datasets/NAME'
    )
    .argument('<folder>', 'the labelled folder')
    .requiredOption('--name <name>', 'name of the new dataset (letters, digits, ".", "_", "-")')
    .option(
      '--map <folder=class>',
      'the class of a subfolder whose name is not recognised (repeatable), e.g. --map "tees=T-shirt/top"',
      collectMap,
      {}
    )
    .option('--skip-folder <folder>', 'leave a subfolder out (repeatable)', collectSkip, {})
    .option('--dry-run', 'only show the subfolders, their photo counts and classes')
    .option('--workspace <dir>', 'workspace folder')
    .option('--json', 'print the manifest summary as one JSON object (last line of stdout)')
    .action(async (folder: string, flags: ImportFlags) => importCommand(folder, flags))

  data
    .command('list')
    .description('Fashion-MNIST and the datasets imported into the workspace')
    .option('--workspace <dir>', 'workspace folder')
    .option('--data <dir>', 'Fashion-MNIST folder')
    .option('--json', 'print one JSON array')
    .action(async (flags: { workspace?: string; data?: string; json?: boolean }) => {
      const { workspace, dataDir } = locations(flags)
      const list = await listImportedDatasets(workspace)
      if (flags.json) {
        process.stdout.write(
          JSON.stringify(
            list.map((d) => ({
              name: d.name,
              dir: d.dir,
              count: d.manifest?.count ?? null,
              counts: d.manifest?.counts ?? null,
              skipped: d.manifest?.skipped.length ?? null,
              source: d.manifest?.source ?? null,
              error: d.error
            }))
          ) + '\n'
        )
        return
      }
      console.log(`fashion-mnist  (Fashion-MNIST, ${dataDir})`)
      for (const d of list) {
        if (!d.manifest) console.log(`${d.name}  UNUSABLE: ${d.error}`)
        else
          console.log(
            `${d.name}  ${d.manifest.count} images, ${d.manifest.skipped.length} skipped, from ${d.manifest.source}`
          )
      }
    })
}

async function importCommand(folder: string, flags: ImportFlags): Promise<void> {
  const { workspace } = locations(flags)
  const mapping = { ...flags.map, ...flags.skipFolder }
  const scan = await scanLabelledFolder(folder)
  for (const f of scan.folders) {
    const choice = mapping[f.folder] ?? f.suggested
    const cls =
      choice === 'skip'
        ? '(skipped)'
        : choice === null || choice === undefined
          ? 'UNMAPPED'
          : CLASS_NAMES[choice]
    process.stderr.write(
      `  ${f.folder.padEnd(24)} ${String(f.images).padStart(6)} photos -> ${cls}\n`
    )
  }
  if (scan.looseFiles > 0) {
    process.stderr.write(`  (${scan.looseFiles} files outside any subfolder are not imported)\n`)
  }
  if (flags.dryRun) return
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'Importing [{bar}] {value}/{total} | skipped {skipped}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      noTTYOutput: false,
      notTTYSchedule: 5000
    },
    undefined
  )
  const abort = new AbortController()
  const onSignal = (): void => abort.abort()
  process.on('SIGINT', onSignal)
  let started = false
  try {
    const result = await importLabelledFolder({
      workspace,
      folder,
      name: flags.name,
      mapping,
      signal: abort.signal,
      onProgress: (p) => {
        if (!started) {
          process.stderr.write(`importing ${p.total} photos as dataset ${flags.name}\n`)
          bar.start(p.total, 0, { skipped: 0 })
        }
        started = true
        bar.update(p.done, { skipped: p.skipped })
      }
    })
    bar.stop()
    const m = result.manifest
    const out = flags.json ? process.stderr : process.stdout
    out.write(
      `imported ${m.count} images into ${result.dir} (${m.skipped.length} skipped)\n` +
        CLASS_NAMES.map((n, c) => `${n.padStart(12)}  ${m.counts[c]}`).join('\n') +
        '\n'
    )
    for (const s of m.skipped.slice(0, 20)) out.write(`skipped ${s.file}: ${s.reason}\n`)
    if (m.skipped.length > 20)
      out.write(`... and ${m.skipped.length - 20} more (all listed in manifest.json)\n`)
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({
          name: m.name,
          dir: result.dir,
          count: m.count,
          counts: m.counts,
          folders: m.folders,
          skipped: m.skipped
        }) + '\n'
      )
    }
  } finally {
    bar.stop()
    process.off('SIGINT', onSignal)
  }
}
