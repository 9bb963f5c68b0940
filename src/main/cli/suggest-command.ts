// `fashion-studio labels suggest`: likely label errors in the training split (k-fold
// cross-validation in the worker, then confident learning), cached in the workspace for the
// studio's review queue; optionally a contact sheet PNG to judge them by eye.
import type { Command } from 'commander'
import { CLASS_NAMES } from '@shared/classes'
import { writeContactSheet } from '../engine/labels/contact-sheet'
import {
  computeSuggestions,
  saveSuggestions,
  type SuggestionsFile
} from '../engine/labels/suggestions'
import { TrainingCancelledError, TrainingHost } from '../engine/worker/host'
import { openLabels } from './open-labels'
import { DATA_OPTION_HELP, intOption } from './options'

interface SuggestFlags {
  folds: number
  epochs: number
  limit: number
  trainLimit?: number
  seed: number
  contactSheet?: string
  data?: string
  workspace?: string
  json?: boolean
}

export function registerSuggestCommand(labels: Command): void {
  labels
    .command('suggest')
    .description(
      'rank training images whose label looks wrong (k-fold out-of-sample probabilities + confident learning); the result is cached for the studio\u2019s review queue'
    )
    .option('--folds <n>', 'cross-validation folds', intOption(2, 10), 5)
    .option('--epochs <n>', 'epochs per fold', intOption(1, 30), 4)
    .option('--limit <n>', 'suggestions to print', intOption(1, 60000), 30)
    .option(
      '--train-limit <n>',
      'use only the first N training images (quick runs)',
      intOption(100, 60000)
    )
    .option('--seed <n>', 'random seed (folds, initialisation)', intOption(0, 2 ** 31 - 1), 0)
    .option('--contact-sheet <png>', 'also draw the printed suggestions into this PNG')
    .option('--data <dir>', DATA_OPTION_HELP)
    .option('--workspace <dir>', 'workspace folder')
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(async (flags: SuggestFlags) => suggest(flags))
}

async function suggest(flags: SuggestFlags): Promise<void> {
  const { store, data, workspace } = await openLabels(flags)
  const host = new TrainingHost()
  let cancel: (() => void) | undefined
  const onSigint = (): void => cancel?.()
  process.on('SIGINT', onSigint)
  let last = ''
  try {
    const result = await computeSuggestions({
      host,
      data,
      labels: store,
      folds: flags.folds,
      epochs: flags.epochs,
      trainLimit: flags.trainLimit,
      seed: flags.seed,
      onCancelReady: (c) => (cancel = c),
      onProgress: (p) => {
        const line =
          p.fold > p.folds
            ? 'ranking with confident learning...'
            : `fold ${p.fold}/${p.folds} epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}`
        // On a terminal one line rewritten in place; in a log, a line per fold and epoch.
        const key = process.stderr.isTTY ? line : `${p.fold}/${p.epoch}`
        if (key !== last) process.stderr.write(process.stderr.isTTY ? `\r${line}    ` : `${line}\n`)
        last = key
      }
    })
    process.stderr.write('\n')
    const file = await saveSuggestions(workspace, result)
    const top = result.issues.slice(0, flags.limit)
    if (flags.contactSheet) {
      await writeContactSheet(
        flags.contactSheet,
        data.train.images,
        top,
        `Top ${top.length} likely label errors (${result.folds}-fold, ${result.epochs} epochs per fold)`
      )
    }
    const out = flags.json ? process.stderr : process.stdout
    out.write(summaryText(result, top.length, file))
    for (const [k, s] of top.entries()) {
      out.write(
        `${String(k + 1).padStart(4)}. train #${String(s.index).padEnd(6)} given ${(CLASS_NAMES[s.given] ?? '').padEnd(12)} suggested ${(CLASS_NAMES[s.suggested] ?? '').padEnd(12)} p=${s.probability.toFixed(3)}  self-confidence ${s.selfConfidence.toFixed(4)}\n`
      )
    }
    if (flags.contactSheet) out.write(`contact sheet: ${flags.contactSheet}\n`)
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({
          file,
          seconds: result.seconds,
          folds: result.folds,
          epochs: result.epochs,
          trainCount: result.trainCount,
          issues: result.issues.length,
          estimatedErrors: result.estimatedErrors,
          thresholds: result.thresholds,
          top: top.map((s) => ({
            index: s.index,
            given: s.given,
            suggested: s.suggested,
            probability: s.probability,
            selfConfidence: s.selfConfidence,
            margin: s.margin
          }))
        }) + '\n'
      )
    }
  } catch (err) {
    if (err instanceof TrainingCancelledError) {
      process.stderr.write('\ncancelled; nothing was saved\n')
      process.exitCode = 130
      return
    }
    throw err
  } finally {
    process.off('SIGINT', onSigint)
    await host.close()
  }
}

function summaryText(r: SuggestionsFile, shown: number, file: string): string {
  return `${r.issues.length} likely label errors among ${r.trainCount} training images (confident learning estimates ${r.estimatedErrors}); ${r.folds}-fold cross-validation, ${r.epochs} epochs per fold, ${r.seconds.toFixed(1)} s\nsaved to ${file}\ntop ${shown}, least self-confident first:\n`
}
