// The studio's imported datasets: listing them, importing a labelled folder in the background (one
// import at a time, its state sent whole on every change), each dataset's label corrections (its
// own journal, through the same StudioLabels as Fashion-MNIST), and evaluating a model on one with
// the drill-down into a confusion-matrix cell.
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { CLASS_NAMES, NUM_CLASSES } from '@shared/classes'
import type {
  CellImages,
  DatasetEvaluationResult,
  DatasetSummary,
  FolderScan,
  ImageItem,
  ImportState,
  StudioCallArgs
} from '@shared/studio-api'
import type { DatasetSource } from '../engine/datasets/dataset-source'
import { cellIndices, scoreDataset } from '../engine/datasets/evaluate-dataset'
import {
  ImportError,
  importLabelledFolder,
  scanLabelledFolder
} from '../engine/datasets/import-folder'
import {
  checkDatasetName,
  DatasetNameError,
  importedDatasetDir,
  listImportedDatasets,
  loadImportedDataset
} from '../engine/datasets/imported-dataset'
import { readModelDir } from '../engine/models/model-dir'
import type { TrainingHost } from '../engine/worker/host'
import { SplitIndex } from './dataset-index'
import { StudioLabels, type ArgsErrorFactory } from './studio-labels'

interface Opened {
  source: Promise<DatasetSource>
  labels: StudioLabels
}

interface Scored {
  modelId: string
  labels: Uint8Array
  predicted: Uint8Array
  probabilities: Float32Array
  excluded: number[]
}

export class StudioDatasets {
  private readonly opened = new Map<string, Opened>()
  private readonly evaluations = new Map<string, Scored>()
  private importing: { state: ImportState; abort: AbortController } | undefined

  constructor(
    private readonly o: {
      workspace: string
      host: TrainingHost
      argsError: ArgsErrorFactory
      onImportState(state: ImportState): void
    }
  ) {}

  /** Summaries of the imported datasets (unusable ones are left out of the list). */
  async summaries(): Promise<DatasetSummary[]> {
    const out: DatasetSummary[] = []
    for (const d of await listImportedDatasets(this.o.workspace)) {
      if (!d.manifest) continue
      const { source, labels } = this.open(d.name)
      const loaded = await source.catch(() => null)
      if (!loaded) continue
      const v = await labels.current()
      const zeros = new Array<number>(NUM_CLASSES).fill(0)
      out.push({
        id: d.name,
        name: d.name,
        dir: d.dir,
        classes: [...CLASS_NAMES],
        counts: { train: zeros, test: v.test.counts() },
        originalCounts: { train: zeros, test: new SplitIndex(loaded.data.test).counts() },
        labels: v.summary,
        kind: 'imported',
        imported: {
          source: d.manifest.source,
          createdAt: d.manifest.createdAt,
          skipped: d.manifest.skipped
        }
      })
    }
    return out
  }

  /** The dataset's label views and corrections; an unknown id is the caller's error. */
  labels(datasetId: string): StudioLabels {
    return this.open(datasetId).labels
  }

  /** Adds each image's source photo (from the manifest) to items of an imported dataset. */
  async withFiles<T extends ImageItem>(datasetId: string, items: T[]): Promise<T[]> {
    const files = (await this.source(datasetId)).manifest?.files ?? []
    return items.map((item) => ({ ...item, file: files[item.index] }))
  }

  async source(datasetId: string): Promise<DatasetSource> {
    return this.open(datasetId).source
  }

  scan(folder: string): Promise<FolderScan> {
    return this.userErrors(() => scanLabelledFolder(folder))
  }

  get importState(): ImportState | null {
    return this.importing?.state ?? null
  }

  /** Starts an import; it runs in the background, reporting through onImportState. */
  async startImport(a: StudioCallArgs<'datasets:import-folder'>): Promise<ImportState> {
    if (this.importing?.state.status === 'running')
      throw this.o.argsError('an import is already running: wait for it or cancel it')
    try {
      checkDatasetName(a.name)
    } catch (err) {
      throw this.o.argsError((err as Error).message)
    }
    const abort = new AbortController()
    const state: ImportState = {
      jobId: randomUUID(),
      name: a.name,
      folder: a.folder,
      status: 'running',
      done: 0,
      total: 0,
      skipped: 0,
      error: null,
      datasetId: null
    }
    this.importing = { state, abort }
    const emit = (): void => this.o.onImportState({ ...state })
    let lastEmit = 0
    void importLabelledFolder({
      workspace: this.o.workspace,
      folder: a.folder,
      name: a.name,
      mapping: a.mapping,
      signal: abort.signal,
      onProgress: (p) => {
        Object.assign(state, { done: p.done, total: p.total, skipped: p.skipped })
        // At most ~10 updates a second: the renderer needs a moving bar, not every file.
        const now = performance.now()
        if (now - lastEmit > 100 || p.done === p.total) {
          lastEmit = now
          emit()
        }
      }
    }).then(
      () => {
        state.status = 'done'
        state.datasetId = a.name
        emit()
      },
      (err: unknown) => {
        state.status = abort.signal.aborted ? 'cancelled' : 'error'
        state.error = err instanceof Error ? err.message : String(err)
        emit()
      }
    )
    return { ...state }
  }

  cancelImport(): ImportState | null {
    this.importing?.abort.abort()
    return this.importState
  }

  /** Predicts every image (once per model and dataset), then scores against the labels now. */
  async evaluate(
    datasetId: string,
    modelId: string,
    modelDir: string
  ): Promise<DatasetEvaluationResult> {
    const { source, labels } = this.open(datasetId)
    const loaded = await source
    const key = `${modelId}\n${datasetId}`
    let probabilities = this.evaluations.get(key)?.probabilities
    if (!probabilities) {
      const model = await readModelDir(modelDir)
      probabilities = await this.o.host.predict(model.artifacts, loaded.data.test.images)
    }
    const store = await labels.open().catch(() => undefined)
    const scored = await scoreDataset(probabilities, loaded, store)
    this.evaluations.set(key, { modelId, ...scored })
    return {
      datasetId,
      modelId,
      count: loaded.data.test.count - scored.excluded.length,
      excluded: scored.excluded.length,
      report: scored.report,
      confusion: scored.confusion
    }
  }

  /** The images of one cell of the last evaluation (the labels it was scored against). */
  async cell(
    datasetId: string,
    modelId: string,
    trueClass: number,
    predictedClass: number
  ): Promise<CellImages> {
    const scored = this.evaluations.get(`${modelId}\n${datasetId}`)
    if (!scored) throw this.o.argsError(`evaluate ${modelId} on ${datasetId} first`)
    const { test } = await this.labels(datasetId).current()
    const items = cellIndices(scored, trueClass, predictedClass).map((i) => {
      const row = Array.from(scored.probabilities.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES))
      return {
        ...test.item(i),
        predicted: predictedClass,
        confidence: row[predictedClass]!,
        probabilities: row
      }
    })
    return { trueClass, predictedClass, items: await this.withFiles(datasetId, items) }
  }

  private open(datasetId: string): Opened {
    let o = this.opened.get(datasetId)
    if (!o) {
      let dir: string
      try {
        dir = importedDatasetDir(this.o.workspace, datasetId)
      } catch (err) {
        if (err instanceof DatasetNameError)
          throw this.o.argsError(`unknown dataset "${datasetId}"`)
        throw err
      }
      if (!existsSync(dir)) throw this.o.argsError(`unknown dataset "${datasetId}"`)
      const source = loadImportedDataset(this.o.workspace, datasetId).then((d): DatasetSource => ({
        id: d.name,
        kind: 'imported',
        dir: d.dir,
        data: d.data,
        manifest: d.manifest
      }))
      const entry: Opened = {
        source,
        labels: new StudioLabels(
          this.o.workspace,
          () => source.then((s) => s.data),
          this.o.argsError,
          datasetId
        )
      }
      // A dataset that cannot be loaded (gone, damaged) is looked at afresh next time.
      source.catch(() => this.opened.delete(datasetId))
      o = entry
      this.opened.set(datasetId, o)
    }
    return o
  }

  private async userErrors<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof ImportError) throw this.o.argsError(err.message)
      throw err
    }
  }
}
