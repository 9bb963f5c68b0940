// The studio's side of label corrections: the workspace's journal opened once, every correction of
// every window made through it one at a time (so two windows cannot interleave), and the dataset
// views (pages, counts, single images) built from the corrected labels. A journal that cannot be used
// does not take the dataset views down: they show the files' labels and say why.
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { DatasetSplit, Mark } from '@shared/labels'
import type {
  CsvExport,
  HistoryPage,
  ImageItem,
  LabelChangeResult,
  LabelsSummary,
  StudioCallArgs
} from '@shared/studio-api'
import type { FashionMnist } from '../engine/data/fashion-mnist'
import type { LabelChange } from '../engine/labels/corrections'
import { LabelError } from '../engine/labels/errors'
import { filterHistory, historyCsv, type HistoryFilter } from '../engine/labels/history'
import { FASHION_MNIST_DATASET, journalFile, LabelStore } from '../engine/labels/label-store'
import { writeDurably } from '../engine/models/model-dir'
import { SplitIndex } from './dataset-index'

export interface LabelViews {
  train: SplitIndex
  test: SplitIndex
  summary: LabelsSummary
}

/** Errors the caller made (bad class, image out of range, stale view): reported as bad arguments. */
export type ArgsErrorFactory = (message: string) => Error

export class StudioLabels {
  private store: Promise<LabelStore> | undefined
  private views: (LabelViews & { version: number }) | undefined
  private original: { train: SplitIndex; test: SplitIndex } | undefined

  constructor(
    private readonly workspace: string,
    private readonly dataset: () => Promise<FashionMnist>,
    private readonly argsError: ArgsErrorFactory,
    /** The journal's dataset id: Fashion-MNIST's, or an imported dataset's name. */
    private readonly datasetId: string = FASHION_MNIST_DATASET
  ) {}

  /** The journal, opened on first use; a failed open is retried next time (it may be fixed). */
  open(): Promise<LabelStore> {
    this.store ??= this.dataset().then((data) =>
      LabelStore.open(this.workspace, data, { datasetId: this.datasetId })
    )
    this.store.catch(() => (this.store = undefined))
    return this.store
  }

  /** Pages and counts with corrections applied (rebuilt only when the corrections changed). */
  async current(): Promise<LabelViews> {
    const data = await this.dataset()
    let store: LabelStore
    try {
      store = await this.open()
      await store.refresh()
    } catch (err) {
      this.original ??= { train: new SplitIndex(data.train), test: new SplitIndex(data.test) }
      return { ...this.original, summary: this.failed(err) }
    }
    const c = store.corrections
    if (this.views?.version !== c.version) {
      const index = (split: DatasetSplit): SplitIndex => {
        const { labels, marks } = c.correctedLabels(split)
        return new SplitIndex(data[split], labels, marks)
      }
      this.views = {
        version: c.version,
        train: index('train'),
        test: index('test'),
        summary: summary(store)
      }
    }
    return { ...this.views, summary: summary(store) }
  }

  async image(split: DatasetSplit, index: number): Promise<ImageItem> {
    const views = await this.current()
    if (index >= views[split].count) {
      throw this.argsError(
        `${split} image #${index} does not exist: the ${split} split has images #0 to #${views[split].count - 1}`
      )
    }
    return views[split].item(index)
  }

  async set(a: StudioCallArgs<'labels:set'>): Promise<LabelChangeResult> {
    const store = await this.open()
    const change: LabelChange =
      a.label !== undefined
        ? { label: a.label, mark: a.mark ?? null }
        : { mark: (a.mark ?? null) as Mark | null }
    const entry = await this.userErrors(() =>
      store.set(a.split, a.index, change, a.reason ?? 'manual', a.expected)
    )
    return this.result(entry)
  }

  async undoRedo(op: 'undo' | 'redo', expectedSeq?: number): Promise<LabelChangeResult | null> {
    const store = await this.open()
    const entry = await this.userErrors(() =>
      op === 'undo' ? store.undo(expectedSeq) : store.redo(expectedSeq)
    )
    return entry ? this.result(entry) : null
  }

  async status(): Promise<LabelsSummary> {
    return (await this.current()).summary
  }

  async history(a: StudioCallArgs<'labels:history'>): Promise<HistoryPage> {
    const store = await this.open()
    await store.refresh()
    const views = await this.current()
    const rows = filterHistory(store.corrections.rows(), toFilter(a)).reverse()
    return {
      total: rows.length,
      offset: a.offset,
      rows: rows.slice(a.offset, a.offset + a.limit).map((r) => ({
        ...r,
        pixels: views[r.split].item(r.index).pixels
      })),
      status: views.summary
    }
  }

  async exportCsv(a: StudioCallArgs<'labels:export-csv'>): Promise<CsvExport> {
    const store = await this.open()
    await store.refresh()
    const rows = filterHistory(store.corrections.rows(), toFilter(a))
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
    const filename = `label-corrections-${stamp}.csv`
    const csv = historyCsv(rows)
    let path: string | null = null
    if (a.save) {
      path = join(this.workspace, 'exports', filename)
      await mkdir(dirname(path), { recursive: true })
      await writeDurably(path, csv)
    }
    return { filename, csv, rows: rows.length, path }
  }

  private async result(entry: LabelChangeResult['entry']): Promise<LabelChangeResult> {
    const views = await this.current()
    return {
      entry,
      split: entry.split,
      image: views[entry.split].item(entry.index),
      status: views.summary
    }
  }

  private async userErrors<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof LabelError) throw this.argsError(err.message)
      throw err
    }
  }

  private failed(err: unknown): LabelsSummary {
    return {
      file: journalFile(this.workspace, this.datasetId),
      entries: 0,
      relabelled: 0,
      ambiguous: 0,
      excluded: 0,
      canUndo: false,
      canRedo: false,
      undoSeq: null,
      redoSeq: null,
      recovered: null,
      error: err instanceof Error ? err.message : String(err)
    }
  }
}

function summary(store: LabelStore): LabelsSummary {
  const s = store.status()
  return {
    file: s.file,
    entries: s.entries,
    relabelled: s.relabelled,
    ambiguous: s.ambiguous,
    excluded: s.excluded,
    canUndo: s.canUndo,
    canRedo: s.canRedo,
    undoSeq: s.undoSeq,
    redoSeq: s.redoSeq,
    recovered: s.recovery
      ? `a torn last line (${s.recovery.droppedBytes} bytes, from an interrupted write that was never reported as saved) was cut away`
      : null,
    error: null
  }
}

function toFilter(a: HistoryFilter & Record<string, unknown>): HistoryFilter {
  return { split: a.split, reason: a.reason, label: a.label, inForceOnly: a.inForceOnly }
}
