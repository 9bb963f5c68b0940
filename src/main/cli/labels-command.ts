// `fashion-studio labels ...`: the label corrections from scripts. The same journal as the studio
// (they take turns through its lock); every correction printed as saved is already on disk.
import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import {
  describeState,
  SET_REASONS,
  type CorrectionEntry,
  type DatasetSplit,
  type EntryReason,
  type SetReason
} from '@shared/labels'
import type { LabelChange } from '../engine/labels/corrections'
import { LabelError } from '../engine/labels/errors'
import { filterHistory, historyCsv, type HistoryFilter } from '../engine/labels/history'
import { registerSuggestCommand } from './suggest-command'
import { openStore } from './open-labels'
import { DATA_OPTION_HELP, intOption } from './options'

interface CommonFlags {
  data?: string
  dataset?: string
  workspace?: string
  json?: boolean
}

interface FilterFlags extends CommonFlags {
  split?: DatasetSplit
  reason?: EntryReason
  class?: number
  inForce?: boolean
}

export function registerLabelsCommands(program: Command): void {
  const labels = program
    .command('labels')
    .description('label corrections: set, list, undo, redo, export, import, suggest')

  common(labels.command('set'))
    .description('set the label of one image (a class, or a mark), saved before it returns')
    .option(
      '--split <split>',
      'train or test (an imported dataset has only test, the default with --dataset)',
      parseSplit
    )
    .requiredOption('--index <n>', 'image index within the split', intOption(0, 10_000_000))
    .requiredOption(
      '--label <label>',
      'class number 0-9 or name (e.g. Shirt), or ambiguous, excluded, unmark',
      parseChange
    )
    .option('--reason <reason>', 'manual or suggestion', parseReason, 'manual')
    .action(
      async (
        flags: CommonFlags & {
          split?: DatasetSplit
          index: number
          label: LabelChange
          reason: SetReason
        }
      ) => {
        const split = flags.split ?? (flags.dataset ? 'test' : undefined)
        if (!split) throw new InvalidArgumentError('give --split train or --split test')
        const store = await openStore(flags)
        const entry = await store.set(split, flags.index, flags.label, flags.reason)
        print(flags, entry, `saved ${describe(entry)}`)
      }
    )

  filters(common(labels.command('list')))
    .description('the corrections, oldest first (all entries, or only those in force)')
    .action(async (flags: FilterFlags) => {
      const store = await openStore(flags)
      const rows = filterHistory(store.corrections.rows(), toFilter(flags))
      if (flags.json) return void process.stdout.write(JSON.stringify(rows) + '\n')
      const s = store.status()
      process.stdout.write(
        `${s.file}: ${s.entries} entries; ${s.relabelled} images relabelled, ${s.ambiguous} ambiguous, ${s.excluded} excluded\n`
      )
      for (const r of rows) {
        process.stdout.write(`${describe(r)}${r.undone ? '  [undone]' : ''}  ${r.ts}\n`)
      }
    })

  for (const op of ['undo', 'redo'] as const) {
    common(labels.command(op))
      .description(
        op === 'undo'
          ? 'take back the newest correction in force (itself saved as an entry)'
          : 'put back the newest correction undone'
      )
      .action(async (flags: CommonFlags) => {
        const store = await openStore(flags)
        const entry = op === 'undo' ? await store.undo() : await store.redo()
        if (!entry) throw new LabelError(`nothing to ${op}`)
        print(flags, entry, `saved ${describe(entry)}`)
      })
  }

  filters(common(labels.command('export')))
    .description('the corrections as CSV (stdout, or --out FILE)')
    .option('--out <file>', 'write the CSV to this file')
    .action(async (flags: FilterFlags & { out?: string }) => {
      const store = await openStore(flags)
      const csv = historyCsv(filterHistory(store.corrections.rows(), toFilter(flags)))
      if (flags.out) await writeFile(flags.out, csv)
      else process.stdout.write(csv)
    })

  common(labels.command('import'))
    .description(
      'apply corrections from a CSV of split,index,label rows (a header line is allowed); rows already in force are skipped, so an interrupted import can be run again. Prints "saved seq N" as each one is on disk'
    )
    .argument('<csv>', 'file with split,index,label rows (label as for `labels set`)')
    .option('--reason <reason>', 'manual or suggestion', parseReason, 'manual')
    .action(async (file: string, flags: CommonFlags & { reason: SetReason }) => {
      const rows = parseImport(await readFile(file, 'utf8'))
      const store = await openStore(flags)
      let saved = 0
      for (const row of rows) {
        const now = store.corrections.stateOf(row.split, row.index)
        const wanted = 'label' in row.change ? row.change.label : now.label
        const mark = 'label' in row.change ? (row.change.mark ?? null) : row.change.mark
        if (now.label === wanted && now.mark === mark) continue
        const entry = await store.set(row.split, row.index, row.change, flags.reason, now)
        saved++
        if (!flags.json) process.stdout.write(`saved seq ${entry.seq}\n`)
      }
      if (flags.json) process.stdout.write(JSON.stringify({ rows: rows.length, saved }) + '\n')
      else process.stdout.write(`${saved} saved, ${rows.length - saved} already in force\n`)
    })

  common(labels.command('status'))
    .description('where the journal is and what it holds')
    .action(async (flags: CommonFlags) => {
      const s = (await openStore(flags)).status()
      if (flags.json) return void process.stdout.write(JSON.stringify(s) + '\n')
      process.stdout.write(
        `${s.file}\n${s.entries} entries; ${s.relabelled} relabelled, ${s.ambiguous} ambiguous, ${s.excluded} excluded\n`
      )
    })

  registerSuggestCommand(labels)
}

function common(cmd: Command): Command {
  return cmd
    .option('--data <dir>', DATA_OPTION_HELP)
    .option(
      '--dataset <name>',
      'the corrections of a dataset imported with `data import` (default: Fashion-MNIST)'
    )
    .option(
      '--workspace <dir>',
      'workspace folder (default: $FASHION_STUDIO_WORKSPACE or ~/FashionStudio)'
    )
    .option('--json', 'print JSON')
}

function filters(cmd: Command): Command {
  return cmd
    .option('--split <split>', 'only this split (train or test)', parseSplit)
    .option('--reason <reason>', 'only manual, suggestion, undo or redo entries', parseEntryReason)
    .option('--class <n>', 'only entries from or to this class (0-9)', intOption(0, 9))
    .option('--in-force', 'only corrections in force (no undone ones, no undo entries)')
}

function toFilter(f: FilterFlags): HistoryFilter {
  return { split: f.split, reason: f.reason, label: f.class, inForceOnly: f.inForce }
}

function describe(e: CorrectionEntry): string {
  const what = e.op === 'set' ? e.reason : `${e.op} of seq ${e.target}`
  return `seq ${e.seq}: ${e.split} #${e.index} ${describeState(e.old)} → ${describeState(e.new)} (${what})`
}

function print(flags: CommonFlags, entry: CorrectionEntry, text: string): void {
  process.stdout.write((flags.json ? JSON.stringify(entry) : text) + '\n')
}

function parseSplit(value: string): DatasetSplit {
  if (value === 'train' || value === 'test') return value
  throw new InvalidArgumentError(`expected train or test, got "${value}"`)
}

function parseReason(value: string): SetReason {
  if ((SET_REASONS as readonly string[]).includes(value)) return value as SetReason
  throw new InvalidArgumentError(`expected manual or suggestion, got "${value}"`)
}

function parseEntryReason(value: string): EntryReason {
  if (['manual', 'suggestion', 'undo', 'redo'].includes(value)) return value as EntryReason
  throw new InvalidArgumentError(`expected manual, suggestion, undo or redo, got "${value}"`)
}

/** "6", "Shirt", "ankle boot", "ambiguous", "excluded", "unmark". */
export function parseChange(value: string): LabelChange {
  const v = value.trim().toLowerCase()
  if (v === 'ambiguous' || v === 'excluded') return { mark: v }
  if (v === 'unmark') return { mark: null }
  if (/^\d+$/.test(v)) {
    const n = Number(v)
    if (n < CLASS_NAMES.length) return { label: n }
  }
  const byName = CLASS_NAMES.findIndex((c) => c.toLowerCase() === v)
  if (byName >= 0) return { label: byName }
  throw new InvalidArgumentError(
    `"${value}" is not a class: use 0-${CLASS_NAMES.length - 1} or a name (${CLASS_NAMES.join(', ')}), or ambiguous, excluded, unmark`
  )
}

function parseImport(text: string): { split: DatasetSplit; index: number; change: LabelChange }[] {
  const out: { split: DatasetSplit; index: number; change: LabelChange }[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || (i === 0 && /^split\s*,/i.test(line))) return
    const [split, index, label] = line.split(',').map((f) => f.trim())
    try {
      const n = Number(index)
      if (!/^\d+$/.test(index ?? ''))
        throw new InvalidArgumentError(`index "${index}" is not a number`)
      out.push({ split: parseSplit(split ?? ''), index: n, change: parseChange(label ?? '') })
    } catch (err) {
      throw new LabelError(`line ${i + 1}: ${(err as Error).message}`)
    }
  })
  return out
}
