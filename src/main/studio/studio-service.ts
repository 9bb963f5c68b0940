// The studio's main-process side, Electron-free: every call of the contract (src/shared/studio-api.ts)
// with its arguments validated, and the 'training:state' event. Electron's IPC (src/main/ipc.ts) and
// the loopback HTTP bridge (bridge-server.ts) are thin carriers of this one class.
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CLASS_NAMES, NUM_CLASSES } from '@shared/classes'
import type { ClassificationReport } from '@shared/metrics'
import {
  describeArgsError,
  isStudioChannel,
  studioCallArgs,
  type CellImages,
  type FinetuneComparison,
  type SuggestionPage,
  type SuggestionsState,
  type TrainingState,
  type ModelDetail,
  type ModelSummary,
  type StudioCallResults,
  type StudioChannel,
  type StudioEvent,
  type StudioEvents
} from '@shared/studio-api'
import { PRESET_INFO } from '@shared/preset-info'
import type { z } from 'zod'
import { loadFashionMnist, type FashionMnist } from '../engine/data/fashion-mnist'
import { combineModels } from '../engine/ensemble/combine-models'
import { EnsembleError } from '../engine/ensemble/ensemble-model'
import { argmaxRows } from '../engine/evaluation/evaluate'
import { exportModel } from '../engine/export/export-model'
import { FINETUNE_FILE, runFinetune } from '../engine/finetune/finetune'
import { loadSuggestions, type SuggestionsFile } from '../engine/labels/suggestions'
import type { ModelMetadata } from '../engine/models/metadata'
import { MODEL_FILES, ModelDirError, readModelDir } from '../engine/models/model-dir'
import { modelsDir } from '../engine/workspace'
import { TrainingHost } from '../engine/worker/host'
import { SplitIndex } from './dataset-index'
import { StudioDatasets } from './studio-datasets'
import { StudioLabels } from './studio-labels'
import { StudioPhotos } from './studio-photos'
import { StudioServing } from './studio-serving'
import { SuggestionsSession } from './suggestions-session'
import { TrainingSession } from './training-session'

export class StudioArgsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StudioArgsError'
  }
}

const FASHION_MNIST_ID = 'fashion-mnist'
/** Model ids are directory names under <workspace>/models: nothing that could leave that folder. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

type Args<C extends StudioChannel> = z.output<(typeof studioCallArgs)[C]>

export class StudioService {
  private readonly host: TrainingHost
  private readonly events = new EventEmitter()
  private data: Promise<{ data: FashionMnist; train: SplitIndex; test: SplitIndex }> | undefined
  private session: TrainingSession | undefined
  private suggesting: SuggestionsSession | undefined
  private suggestions: Promise<SuggestionsFile | null> | undefined
  private readonly probabilities = new Map<string, Float32Array>()
  /** An ensemble being combined and evaluated ('models:create-ensemble' answers when it is saved). */
  private ensembling = false

  private readonly serving: StudioServing
  private readonly labels: StudioLabels
  private readonly photos: StudioPhotos
  private readonly imported: StudioDatasets

  constructor(
    private readonly options: {
      workspace: string
      dataDir: string
      host?: TrainingHost
      /** The native folder dialog (Electron); absent in the browser bridge. */
      pickFolder?: (title: string) => Promise<string | null>
    }
  ) {
    this.host = options.host ?? new TrainingHost()
    this.photos = new StudioPhotos({
      host: this.host,
      workspace: options.workspace,
      onChange: (state) => this.events.emit('photos:state', state),
      argsError: (message) => new StudioArgsError(message)
    })
    this.serving = new StudioServing(this.host)
    this.labels = new StudioLabels(
      options.workspace,
      () => this.dataset().then((d) => d.data),
      (message) => new StudioArgsError(message)
    )
    this.imported = new StudioDatasets({
      workspace: options.workspace,
      host: this.host,
      argsError: (message) => new StudioArgsError(message),
      onImportState: (state) => this.events.emit('datasets:import-state', state)
    })
  }

  /** Validates rawArgs against the channel's schema and runs the call. */
  async call(channel: StudioChannel, rawArgs: unknown): Promise<unknown> {
    if (!isStudioChannel(channel)) throw new StudioArgsError(`unknown channel ${String(channel)}`)
    const parsed = studioCallArgs[channel].safeParse(rawArgs ?? {})
    if (!parsed.success) throw new StudioArgsError(describeArgsError(channel, parsed.error))
    return this.dispatch(channel, parsed.data)
  }

  on<E extends StudioEvent>(event: E, listener: (payload: StudioEvents[E]) => void): () => void {
    this.events.on(event, listener)
    return () => this.events.off(event, listener)
  }

  /** Cancels a running job, waits for it to end, and stops the worker. */
  async close(): Promise<void> {
    // An import in progress writes nothing once cancelled (its temporary folder is removed).
    this.imported.cancelImport()
    await this.serving.stop()
    await this.photos.close()
    if (this.session?.running) {
      this.session.cancel()
      await this.session.finished
    }
    if (this.suggesting?.running) {
      this.suggesting.cancel()
      await this.suggesting.finished
    }
    await this.host.close()
  }

  private async dispatch<C extends StudioChannel>(
    channel: C,
    args: Args<C>
  ): Promise<StudioCallResults[C]> {
    const a = args as Args<StudioChannel> & Record<string, unknown>
    type R = StudioCallResults[C]
    switch (channel) {
      case 'app:get-info':
        return {
          version: '0.1.0',
          backend: await this.host.backend(),
          workspace: this.options.workspace,
          dataDir: this.options.dataDir
        } as R
      case 'datasets:list': {
        const d = await this.dataset()
        const v = await this.labels.current()
        return [
          {
            id: FASHION_MNIST_ID,
            name: 'Fashion-MNIST',
            dir: this.options.dataDir,
            classes: [...CLASS_NAMES],
            counts: { train: v.train.counts(), test: v.test.counts() },
            originalCounts: { train: d.train.counts(), test: d.test.counts() },
            labels: v.summary
          },
          ...(await this.imported.summaries())
        ] as R
      }
      case 'datasets:get-images': {
        const { datasetId, split, label, offset, limit } = a as Args<'datasets:get-images'>
        const page = (await this.labelsOf(datasetId).current())[split].page(label, offset, limit)
        if (datasetId === FASHION_MNIST_ID) return page as R
        return { ...page, items: await this.imported.withFiles(datasetId, page.items) } as R
      }
      case 'datasets:get-image': {
        const { datasetId, split, index } = a as Args<'datasets:get-image'>
        const image = await this.labelsOf(datasetId).image(split, index)
        if (datasetId === FASHION_MNIST_ID) return image as R
        return (await this.imported.withFiles(datasetId, [image]))[0] as R
      }
      case 'labels:set': {
        const args = a as Args<'labels:set'>
        return (await this.labelsOf(args.datasetId).set(args)) as R
      }
      case 'labels:undo':
      case 'labels:redo': {
        const { datasetId, expectedSeq } = a as Args<'labels:undo'>
        const op = channel === 'labels:undo' ? 'undo' : 'redo'
        return (await this.labelsOf(datasetId).undoRedo(op, expectedSeq)) as R
      }
      case 'labels:status':
        return (await this.labelsOf((a as Args<'labels:status'>).datasetId).status()) as R
      case 'labels:history': {
        const args = a as Args<'labels:history'>
        return (await this.labelsOf(args.datasetId).history(args)) as R
      }
      case 'labels:export-csv': {
        const args = a as Args<'labels:export-csv'>
        return (await this.labelsOf(args.datasetId).exportCsv(args)) as R
      }
      case 'suggestions:start':
        return (await this.startSuggestions(a as Args<'suggestions:start'>)) as R
      case 'suggestions:cancel':
        this.suggesting?.cancel()
        return (this.suggesting?.state ?? null) as R
      case 'suggestions:get-state':
        return (this.suggesting?.state ?? null) as R
      case 'suggestions:get':
        return (await this.suggestionPage(a as Args<'suggestions:get'>)) as R
      case 'finetune:start':
        return (await this.startFinetune(a as Args<'finetune:start'>)) as R
      case 'presets:list':
        return PRESET_INFO as R
      case 'training:start':
        return (await this.startTraining(a as Args<'training:start'>)) as R
      case 'training:cancel': {
        const { jobId } = a as Args<'training:cancel'>
        if (this.session?.state.jobId !== jobId)
          throw new StudioArgsError(`training:cancel: no job ${jobId}`)
        this.session.cancel()
        return this.session.state as R
      }
      case 'training:get-state':
        return (this.session?.state ?? null) as R
      case 'models:list':
        return (await this.listModels()) as R
      case 'models:get':
        return (await this.modelDetail((a as Args<'models:get'>).modelId)) as R
      case 'models:get-cell': {
        const { modelId, trueClass, predictedClass } = a as Args<'models:get-cell'>
        return (await this.cellImages(modelId, trueClass, predictedClass)) as R
      }
      case 'serving:start': {
        const { modelId, port, engine } = a as Args<'serving:start'>
        return (await this.serving.start(this.modelDir(modelId), modelId, port, engine)) as R
      }
      case 'serving:stop':
        await this.serving.stop()
        return null as R
      case 'serving:get-state':
        return this.serving.state as R
      case 'models:export': {
        const { modelId, format } = a as Args<'models:export'>
        // <workspace>/exports/<model>.keras | .onnx | -tfjs/: exporting again replaces the file.
        const name = format === 'tfjs' ? `${modelId}-tfjs` : `${modelId}.${format}`
        const out = join(this.options.workspace, 'exports', name)
        await mkdir(dirname(out), { recursive: true })
        const done = await exportModel({
          modelDir: this.modelDir(modelId),
          format,
          out,
          overwrite: true
        })
        return { format, path: done.out, bytes: done.bytes } as R
      }
      case 'models:create-ensemble':
        return (await this.createEnsemble(a as Args<'models:create-ensemble'>)) as R
      case 'app:pick-folder': {
        if (!this.options.pickFolder) {
          throw new StudioArgsError('no folder dialog here: type the folder path instead')
        }
        const { title } = a as Args<'app:pick-folder'>
        return (await this.options.pickFolder(title ?? 'Choose a folder')) as R
      }
      case 'photos:start': {
        const { folder, modelId, lowConfidence } = a as Args<'photos:start'>
        this.checkIdle()
        const modelDir = this.modelDir(modelId)
        return (await this.photos.start({ folder, modelId, modelDir, lowConfidence })) as R
      }
      case 'photos:cancel':
        return this.photos.cancel((a as Args<'photos:cancel'>).runId) as R
      case 'photos:get-state':
        return this.photos.state as R
      case 'photos:get-results': {
        const { runId, group, offset, limit } = a as Args<'photos:get-results'>
        return this.photos.page(runId, group, offset, limit) as R
      }
      case 'photos:get-thumbnails': {
        const { runId, indices } = a as Args<'photos:get-thumbnails'>
        return (await this.photos.thumbnails(runId, indices)) as R
      }
      case 'photos:set-class': {
        const { runId, index, classIndex } = a as Args<'photos:set-class'>
        return (await this.photos.setClass(runId, index, classIndex)) as R
      }
      case 'photos:export-csv': {
        const { runId, out } = a as Args<'photos:export-csv'>
        return (await this.photos.exportCsv(runId, out)) as R
      }
      case 'photos:sort-into': {
        const { runId, dest } = a as Args<'photos:sort-into'>
        return (await this.photos.sortInto(runId, dest)) as R
      }
      case 'datasets:scan-folder':
        return (await this.imported.scan((a as Args<'datasets:scan-folder'>).folder)) as R
      case 'datasets:import-folder':
        return (await this.imported.startImport(a as Args<'datasets:import-folder'>)) as R
      case 'datasets:cancel-import':
        return this.imported.cancelImport() as R
      case 'datasets:get-import-state':
        return this.imported.importState as R
      case 'datasets:evaluate': {
        const { datasetId, modelId } = a as Args<'datasets:evaluate'>
        return (await this.imported.evaluate(datasetId, modelId, this.modelDir(modelId))) as R
      }
      case 'datasets:get-eval-cell': {
        const { datasetId, modelId, trueClass, predictedClass } =
          a as Args<'datasets:get-eval-cell'>
        return (await this.imported.cell(datasetId, modelId, trueClass, predictedClass)) as R
      }
    }
    throw new StudioArgsError(`unknown channel ${String(channel)}`)
  }

  /** The label views of Fashion-MNIST or of an imported dataset. */
  private labelsOf(datasetId: string): StudioLabels {
    return datasetId === FASHION_MNIST_ID ? this.labels : this.imported.labels(datasetId)
  }

  private checkDataset(datasetId: string): void {
    if (datasetId !== FASHION_MNIST_ID) throw new StudioArgsError(`unknown dataset "${datasetId}"`)
  }

  /** Fashion-MNIST, loaded once; a failed load is retried on the next call (the folder may be back). */
  private dataset(): Promise<{ data: FashionMnist; train: SplitIndex; test: SplitIndex }> {
    this.data ??= loadFashionMnist(this.options.dataDir).then((data) => ({
      data,
      train: new SplitIndex(data.train),
      test: new SplitIndex(data.test)
    }))
    this.data.catch(() => (this.data = undefined))
    return this.data
  }

  /** One job at a time in the worker: a second would only wait behind the first. */
  private checkIdle(): void {
    if (this.session?.running) throw new StudioArgsError('a training run is already in progress')
    if (this.suggesting?.running) {
      throw new StudioArgsError('the search for label errors is running: wait for it or cancel it')
    }
    if (this.photos.running) {
      throw new StudioArgsError('a folder of photos is being classified: wait for it or cancel it')
    }
    if (this.ensembling) throw new StudioArgsError('an ensemble is being created: wait for it')
  }

  /**
   * The CLI's `ensemble` on models of the workspace. The evaluation runs in the worker like any
   * other model work; the call answers once the model is saved (seconds: one pass over the test
   * set per member), so the renderer shows it busy meanwhile.
   */
  private async createEnsemble(args: Args<'models:create-ensemble'>): Promise<ModelSummary> {
    this.checkIdle()
    const memberDirs = args.modelIds.map((m) => this.modelDir(m))
    const outDir = args.name === undefined ? undefined : this.modelDir(args.name)
    if (outDir && existsSync(outDir)) {
      throw new StudioArgsError(`a model named "${args.name}" already exists: choose another name`)
    }
    const gone = args.modelIds.find((_, k) => !existsSync(memberDirs[k]!))
    if (gone) {
      throw new StudioArgsError(
        `model "${gone}" no longer exists (deleted?): refresh the list and choose again`
      )
    }
    this.ensembling = true
    try {
      const { data } = await this.dataset()
      const result = await combineModels({
        host: this.host,
        memberDirs,
        dataDir: this.options.dataDir,
        data,
        modelsDir: modelsDir(this.options.workspace),
        outDir
      })
      return toSummary(basename(result.modelDir), result.metadata)
    } catch (err) {
      // The members do not fit together: a bad choice (400 on the bridge), not an engine failure.
      if (err instanceof EnsembleError) throw new StudioArgsError(err.message)
      throw err
    } finally {
      this.ensembling = false
    }
  }

  private async startSuggestions(args: Args<'suggestions:start'>): Promise<SuggestionsState> {
    this.checkDataset(args.datasetId)
    this.checkIdle()
    const { data } = await this.dataset()
    const labels = await this.labels.open()
    this.suggesting = new SuggestionsSession({
      host: this.host,
      data,
      labels,
      workspace: this.options.workspace,
      folds: args.folds,
      epochs: args.epochs,
      trainLimit: args.trainLimit,
      jobId: randomUUID(),
      onChange: (state) => this.events.emit('suggestions:state', state),
      onDone: (result) => (this.suggestions = Promise.resolve(result))
    })
    return this.suggesting.state
  }

  private async suggestionPage(args: Args<'suggestions:get'>): Promise<SuggestionPage> {
    this.checkDataset(args.datasetId)
    const { data } = await this.dataset()
    this.suggestions ??= loadSuggestions(this.options.workspace, data)
    const s = await this.suggestions
    if (!s) return { total: 0, offset: args.offset, items: [], meta: null }
    const { train } = await this.labels.current()
    const store = await this.labels.open().catch(() => undefined)
    const items = s.issues.slice(args.offset, args.offset + args.limit).map((issue) => {
      const image = train.item(issue.index)
      return {
        index: issue.index,
        pixels: image.pixels,
        given: issue.given,
        suggested: issue.suggested,
        probability: issue.probability,
        selfConfidence: issue.selfConfidence,
        probabilities: issue.probabilities,
        current: store?.corrections.stateOf('train', issue.index) ?? {
          label: image.label,
          mark: image.mark ?? null
        }
      }
    })
    return {
      total: s.issues.length,
      offset: args.offset,
      items,
      meta: {
        computedAt: s.computedAt,
        folds: s.folds,
        epochs: s.epochs,
        trainCount: s.trainCount,
        seconds: s.seconds,
        issues: s.issues.length,
        estimatedErrors: s.estimatedErrors,
        thresholds: s.thresholds,
        journalSeq: s.journalSeq
      }
    }
  }

  private async startFinetune(args: Args<'finetune:start'>): Promise<TrainingState> {
    this.checkIdle()
    const parentDir = this.modelDir(args.modelId)
    const parent = await readModelDir(parentDir)
    const labels = await this.labels.open()
    const { data } = await this.dataset()
    const dataset = args.datasetId
      ? {
          source: await this.imported.source(args.datasetId),
          labels: await this.imported.labels(args.datasetId).open()
        }
      : undefined
    const backend = await this.host.backend()
    const config = {
      ...parent.metadata.config,
      epochs: args.epochs,
      learningRate: args.learningRate ?? parent.metadata.config.learningRate / 2
    }
    this.session = new TrainingSession({
      host: this.host,
      config,
      datasetId: FASHION_MNIST_ID,
      data,
      dataDir: this.options.dataDir,
      modelsDir: modelsDir(this.options.workspace),
      backend,
      jobId: randomUUID(),
      kind: 'finetune',
      parentModelId: args.modelId,
      onChange: (state) => this.events.emit('training:state', state),
      run: (hooks) =>
        runFinetune({
          host: this.host,
          parentDir,
          dataDir: this.options.dataDir,
          data,
          labels,
          epochs: args.epochs,
          replay: args.replay,
          dataset,
          learningRate: config.learningRate,
          modelsDir: modelsDir(this.options.workspace),
          ...hooks
        })
    })
    return this.session.state
  }

  private async startTraining(args: Args<'training:start'>) {
    this.checkDataset(args.datasetId)
    this.checkIdle()
    const { data } = await this.dataset()
    const backend = await this.host.backend()
    this.session = new TrainingSession({
      host: this.host,
      config: args.config,
      datasetId: args.datasetId,
      data,
      dataDir: this.options.dataDir,
      modelsDir: modelsDir(this.options.workspace),
      backend,
      jobId: randomUUID(),
      onChange: (state) => this.events.emit('training:state', state)
    })
    return this.session.state
  }

  private modelDir(modelId: string): string {
    if (!MODEL_ID.test(modelId)) throw new StudioArgsError(`invalid model id "${modelId}"`)
    return join(modelsDir(this.options.workspace), modelId)
  }

  private async listModels(): Promise<ModelSummary[]> {
    const root = modelsDir(this.options.workspace)
    const names = await readdir(root).catch(() => [] as string[])
    const summaries: ModelSummary[] = []
    for (const name of names.filter((n) => MODEL_ID.test(n))) {
      // Half-written (".partial") folders never match MODEL_ID; unreadable models are left out here
      // and explain themselves when opened.
      const text = await readFile(join(root, name, MODEL_FILES.metadata), 'utf8').catch(
        () => undefined
      )
      if (!text) continue
      try {
        summaries.push(toSummary(name, JSON.parse(text) as ModelMetadata))
      } catch {
        continue
      }
    }
    return summaries.sort((x, y) => y.createdAt.localeCompare(x.createdAt))
  }

  private async modelDetail(modelId: string): Promise<ModelDetail> {
    const dir = this.modelDir(modelId)
    const model = await readModelDir(dir)
    const evaluation = await readFile(join(dir, MODEL_FILES.evaluation), 'utf8')
      .then((t) => JSON.parse(t) as { report: ClassificationReport; confusion: number[][] })
      .catch(() => {
        throw new ModelDirError(dir, `${MODEL_FILES.evaluation} is missing or corrupt`)
      })
    // A fine-tuned model's before/after comparison; a damaged one is left out, not fatal.
    const finetune = await readFile(join(dir, FINETUNE_FILE), 'utf8')
      .then((t) => JSON.parse(t) as FinetuneComparison)
      .catch(() => null)
    return {
      summary: toSummary(modelId, model.metadata),
      classes: model.metadata.classes,
      history: model.history,
      report: evaluation.report,
      confusion: evaluation.confusion,
      finetune
    }
  }

  private async cellImages(
    modelId: string,
    trueClass: number,
    predictedClass: number
  ): Promise<CellImages> {
    const probs = await this.testProbabilities(modelId)
    const { data } = await this.dataset()
    const { test } = await this.labels.current()
    const predicted = argmaxRows(probs, NUM_CLASSES)
    const items = []
    // The cell is of the labels the model was evaluated on (the files'), as its confusion matrix;
    // each image shows its label now, so corrections made here show in place.
    for (let i = 0; i < data.test.count; i++) {
      if (data.test.labels[i] !== trueClass || predicted[i] !== predictedClass) continue
      const row = Array.from(probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES))
      items.push({
        ...test.item(i),
        predicted: predictedClass,
        confidence: row[predictedClass]!,
        probabilities: row
      })
    }
    items.sort((x, y) => y.confidence - x.confidence)
    return { trueClass, predictedClass, items }
  }

  /** Per-image test probabilities: saved with the model, or predicted once and kept. */
  private async testProbabilities(modelId: string): Promise<Float32Array> {
    const cached = this.probabilities.get(modelId)
    if (cached) return cached
    const dir = this.modelDir(modelId)
    const { data } = await this.dataset()
    const expected = data.test.count * NUM_CLASSES * 4
    const saved = await readFile(join(dir, MODEL_FILES.testProbabilities)).catch(() => undefined)
    let probs: Float32Array
    if (saved && saved.length === expected) {
      probs = new Float32Array(
        saved.buffer.slice(saved.byteOffset, saved.byteOffset + saved.length)
      )
    } else {
      const model = await readModelDir(dir)
      probs = await this.host.predict(model.artifacts, data.test.images)
    }
    this.probabilities.set(modelId, probs)
    return probs
  }
}

function toSummary(id: string, m: ModelMetadata): ModelSummary {
  return {
    id,
    createdAt: m.createdAt,
    preset: m.preset,
    config: m.config,
    backend: m.backend,
    metrics: m.metrics,
    timings: { trainSeconds: m.timings.trainSeconds, secondsPerEpoch: m.timings.secondsPerEpoch },
    parent: m.parent,
    ...(m.members && { members: m.members })
  }
}
