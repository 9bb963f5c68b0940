// `fashion-studio classify FOLDER --model DIR`: tags a folder of product photos offline. The CSV is
// the record of the run (--resume continues it); --json adds one JSON line per photo on stdout and
// a summary object as the last line. Progress goes to stderr.
import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import {
  classifyFolder,
  type ClassifySummary,
  type StepTotals
} from '../engine/photos/classify-folder'
import { DEFAULT_PIXEL_LIMIT } from '../engine/photos/preprocess'
import { ResultsFile, type PhotoResult } from '../engine/photos/results'
import { countCandidates } from '../engine/photos/scan'
import { PhotoSorter } from '../engine/photos/sort-into'
import { openPredictor, type EngineName, type Predictor } from '../engine/inference/engines'
import { withTta } from '../engine/inference/tta'
import { readModelDir } from '../engine/models/model-dir'
import { TrainingHost } from '../engine/worker/host'
import { engineOption, intOption, numberOption } from './options'

interface ClassifyFlags {
  model: string
  out?: string
  json?: boolean
  lowConfidence: number
  resume?: boolean
  sortInto?: string
  move?: boolean
  batchSize: number
  concurrency: number
  maxMegapixels: number
  engine: EngineName
  tta?: boolean
}

export const DEFAULT_RESULTS_NAME = 'classified.csv'

export function registerClassifyCommand(program: Command): void {
  program
    .command('classify')
    .description('classify a folder of product photos (JPEG, PNG, WebP, ...; recursive) into a CSV')
    .argument('<folder>', 'folder of photos (subfolders included)')
    .requiredOption('--model <dir>', 'model directory written by `train`')
    .option('--out <file>', `CSV to write (default: <folder>/${DEFAULT_RESULTS_NAME})`)
    .option('--json', 'also print one JSON line per photo, then a summary object as the last line')
    .option(
      '--low-confidence <x>',
      'flag photos whose top class is below this probability',
      numberOption(0, 1),
      0.6
    )
    .option('--resume', 'continue an interrupted run: skip the files already in the CSV')
    .option(
      '--sort-into <dir>',
      'copy each photo into <dir>/<class>/ (low confidence: <dir>/_review/); never overwrites'
    )
    .option('--move', 'with --sort-into: move the photos instead of copying them')
    .option('--batch-size <n>', 'photos per inference batch', intOption(1, 4096), 256)
    .option('--concurrency <n>', 'photos decoded at once', intOption(1, 64), 8)
    .option(
      '--max-megapixels <n>',
      'refuse larger images (decompression bombs)',
      numberOption(0.01, 1000),
      DEFAULT_PIXEL_LIMIT / 1e6
    )
    .addOption(engineOption())
    .option(
      '--tta',
      'test-time augmentation: average with the mirrored photo (models trained with --flip)'
    )
    .action(async (folder: string, flags: ClassifyFlags) => classify(folder, flags))
}

async function classify(folderArg: string, flags: ClassifyFlags): Promise<void> {
  const root = resolve(folderArg)
  const info = await stat(root).catch(() => undefined)
  if (!info?.isDirectory()) throw new Error(`${folderArg}: not a folder`)
  if (flags.move && !flags.sortInto) throw new Error('--move needs --sort-into <dir>')
  const sortInto = flags.sortInto ? resolve(flags.sortInto) : undefined
  if (sortInto === root) throw new Error('--sort-into must not be the photo folder itself')
  const out = resolve(flags.out ?? join(root, DEFAULT_RESULTS_NAME))
  const model = await readModelDir(flags.model)
  const exclude = sortInto ? [sortInto] : []

  // The training worker (TensorFlow) only for the tfjs engine: onnx runs in a worker of its own.
  const host = flags.engine === 'tfjs' ? new TrainingHost() : undefined
  let predictor: Predictor | undefined
  let file: ResultsFile | undefined
  const abort = new AbortController()
  let interrupts = 0
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format:
        'Classifying [{bar}] {value}/{total} | {rate} photos/s | skipped {skipped} | left ~{left}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      noTTYOutput: false,
      notTTYSchedule: 5000
    },
    undefined
  )
  const onSignal = (): void => {
    // A second Ctrl-C quits at once: every CSV line already written is complete (one synchronous
    // write per batch), and a copy or move in progress never loses a photo.
    if (++interrupts > 1) process.exit(130)
    bar.stop()
    process.stderr.write(
      '\nstopping: finishing the photos in progress (Ctrl-C again to quit at once)...\n'
    )
    abort.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const backend = await host?.backend()
    if (backend?.warning) process.stderr.write(`WARNING: ${backend.warning}\n`)
    predictor = await openPredictor({ engine: flags.engine, model, host })
    if (flags.tta) predictor = withTta(predictor)
    // Opened only once the model is ready: a run that cannot start leaves no CSV behind.
    const opened = await ResultsFile.open(out, { resume: !!flags.resume })
    file = opened.file
    const { done, repairedBytes } = opened
    if (repairedBytes > 0) {
      process.stderr.write(`repaired ${out}: cut a torn last line (${repairedBytes} bytes)\n`)
    }
    if (flags.resume) process.stderr.write(`resuming: ${done.size} files already in ${out}\n`)
    const total = Math.max(
      0,
      (await countCandidates(root, { exclude, excludeFiles: [out] })) - done.size
    )
    process.stderr.write(`classifying ${total} files in ${root} (engine: ${flags.engine})\n`)
    const started = performance.now()
    if (!abort.signal.aborted) bar.start(total, 0, { rate: '-', skipped: 0, left: '?' })
    const summary = await classifyFolder({
      predictor,
      classes: model.metadata.classes,
      root,
      lowConfidence: flags.lowConfidence,
      done,
      exclude,
      excludeFiles: [out],
      sorter: sortInto ? new PhotoSorter(sortInto, flags.move ? 'move' : 'copy') : undefined,
      batchSize: flags.batchSize,
      concurrency: flags.concurrency,
      limitInputPixels: Math.round(flags.maxMegapixels * 1e6),
      signal: abort.signal,
      onResults: (results) => {
        opened.file.append(results)
        if (flags.json) process.stdout.write(results.map(jsonLine).join(''))
      },
      onProgress: (p) => {
        if (abort.signal.aborted) return
        const s = (performance.now() - started) / 1000
        const rate = p.processed / Math.max(s, 1e-3)
        const left = rate > 0 ? Math.round((total - p.processed) / rate) : NaN
        bar.update(p.processed, {
          rate: Math.round(rate),
          skipped: p.skipped,
          left: Number.isFinite(left) ? `${left}s` : '?'
        })
      }
    })
    bar.stop()
    file.close()
    report(summary, out, flags)
    if (summary.cancelled) {
      process.stderr.write(
        `cancelled: the results so far are in ${out}; run again with --resume to continue\n`
      )
      process.exitCode = 130
    }
  } finally {
    bar.stop()
    file?.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await predictor?.close()
    await host?.close()
  }
}

function jsonLine(r: PhotoResult): string {
  return JSON.stringify(r) + '\n'
}

/** Human summary (stdout, or stderr with --json), then the JSON summary as the last stdout line. */
function report(s: ClassifySummary, out: string, flags: ClassifyFlags): void {
  const text = flags.json ? process.stderr : process.stdout
  const reasons = Object.entries(s.skippedBy)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')
  text.write(
    `${s.classified} photos classified (${s.lowConfidence} low confidence), ${s.skipped} skipped${reasons ? ` (${reasons})` : ''}, ${s.ignored} other files ignored${s.alreadyDone ? `, ${s.alreadyDone} already done` : ''}\n`
  )
  const shares = stepShares(s.steps)
  const n = Math.max(1, s.classified + s.skipped)
  const ms = (x: number): string => `${(x / n).toFixed(2)} ms`
  text.write(
    `${s.photosPerSecond.toFixed(0)} photos/s in ${s.seconds.toFixed(1)} s, ${ms(1000 * s.cpuSeconds)} CPU per photo; per photo, overlapping: read ${ms(s.steps.readMs)}, decode ${ms(s.steps.decodeMs)}, preprocess ${ms(s.steps.preprocessMs)}, inference ${ms(s.steps.inferenceMs)}\n`
  )
  text.write(`results: ${out}\n`)
  if (flags.sortInto) text.write(`sorted into: ${resolve(flags.sortInto)}\n`)
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ summary: { ...s, shares, results: out, engine: flags.engine } }) + '\n'
    )
  }
}

/**
 * Each step's share of the summed step times. They overlap in wall time (a pipeline) and include
 * waiting for a libvips thread, so they mean "cost" only with --concurrency 1 (as the bench does).
 */
export function stepShares(t: StepTotals) {
  const sum = t.readMs + t.decodeMs + t.preprocessMs + t.inferenceMs || 1
  return {
    read: t.readMs / sum,
    decode: t.decodeMs / sum,
    preprocess: t.preprocessMs / sum,
    inference: t.inferenceMs / sum
  }
}
