// Label corrections from any view: set a class or a mark, undo and redo, the journal's status and
// the history with its CSV export. A correction counts as saved only once the engine answers (it
// answers after the journal is fsync'd); images changed in this window are remembered here so every
// view shows them corrected at once, and the dataset pages and counts are refetched.
import { getApi, isBrowserMode } from '@renderer/api'
import type { DatasetSplit, LabelState, Mark, SetReason } from '@shared/labels'
import { describeState } from '@shared/labels'
import type {
  CsvExport,
  HistoryPage,
  ImageItem,
  LabelChangeResult,
  LabelsSummary,
  StudioCallArgs
} from '@shared/studio-api'
import { defineStore } from 'pinia'
import { reactive, ref, shallowRef } from 'vue'
import { useDatasetsStore } from './datasets'
import { useErrorsStore } from './errors'

const DATASET = 'fashion-mnist'
export const HISTORY_PAGE = 50

export type HistoryFilter = Omit<StudioCallArgs<'labels:history'>, 'datasetId' | 'offset' | 'limit'>

export interface SavedNote {
  seq: number
  text: string
}

export function stateOf(item: ImageItem): LabelState {
  return { label: item.label, mark: item.mark ?? null }
}

export const useLabelsStore = defineStore('labels', () => {
  const errors = useErrorsStore()
  const status = ref<LabelsSummary | null>(null)
  /** Images changed in this window, as the engine last reported them. */
  const changed = shallowRef(new Map<string, ImageItem>())
  /** Requests in flight: while > 0 the last change is not yet saved. */
  const pending = ref(0)
  const lastSaved = ref<SavedNote | null>(null)
  /** Bumped on every change, for views that refetch what they show. */
  const version = ref(0)
  /** The dataset corrections go to: Fashion-MNIST, or an imported dataset open in a view. */
  const datasetId = ref(DATASET)
  const key = (split: DatasetSplit, index: number): string => `${datasetId.value}:${split}:${index}`

  /** Switches to another dataset's corrections (each has its own journal). */
  function useDataset(id: string): void {
    if (id === datasetId.value) return
    datasetId.value = id
    status.value = null
    lastSaved.value = null
    history.value = null
    historyPage.value = 0
    void loadStatus()
  }

  const history = shallowRef<HistoryPage | null>(null)
  const historyFilter = reactive<HistoryFilter>({})
  const historyPage = ref(0)
  const loadingHistory = ref(false)
  const lastExport = ref<CsvExport | null>(null)

  /** The item as this window last saw it changed (its own fields otherwise). */
  function effective<T extends ImageItem>(split: DatasetSplit, item: T): T {
    const c = changed.value.get(key(split, item.index))
    if (!c) return item
    const out: T = { ...item, label: c.label }
    delete out.originalLabel
    delete out.mark
    if (c.originalLabel !== undefined) out.originalLabel = c.originalLabel
    if (c.mark) out.mark = c.mark
    return out
  }

  function remember(split: DatasetSplit, image: ImageItem): void {
    const next = new Map(changed.value)
    next.set(key(split, image.index), image)
    changed.value = next
  }

  function applied(result: LabelChangeResult): void {
    remember(result.split, result.image)
    status.value = result.status
    const e = result.entry
    const what = e.op === 'set' ? '' : ` (${e.op} of #${e.target})`
    lastSaved.value = {
      seq: e.seq,
      text: `Saved #${e.seq}: ${e.split} image ${e.index} is now ${describeState(e.new)}${what}`
    }
    version.value++
    useDatasetsStore().invalidate()
  }

  async function run(
    context: string,
    call: () => Promise<LabelChangeResult | null>,
    onConflict?: () => Promise<void>
  ): Promise<LabelChangeResult | null> {
    pending.value++
    try {
      const result = await call()
      if (result) applied(result)
      return result
    } catch (err) {
      errors.report(context, err)
      await onConflict?.().catch(() => undefined)
      return null
    } finally {
      pending.value--
    }
  }

  /**
   * Sets a class (clearing a mark) or a mark. The label this window shows goes along: if another
   * window changed the image meanwhile, the engine refuses and the image is shown as it is now.
   */
  function set(
    split: DatasetSplit,
    item: ImageItem,
    change: { label: number } | { mark: Mark | null },
    reason: SetReason = 'manual'
  ): Promise<LabelChangeResult | null> {
    const now = effective(split, item)
    return run(
      'Could not save the correction',
      () =>
        getApi().call('labels:set', {
          datasetId: datasetId.value,
          split,
          index: item.index,
          ...change,
          reason,
          expected: stateOf(now)
        }),
      () => reload(split, item.index)
    )
  }

  /** A mark toggles: set when absent, removed when present. */
  function toggleMark(split: DatasetSplit, item: ImageItem, mark: Mark) {
    const now = effective(split, item)
    return set(split, item, { mark: now.mark === mark ? null : mark })
  }

  function undo() {
    return run('Could not undo', async () => {
      const r = await getApi().call('labels:undo', {
        datasetId: datasetId.value,
        expectedSeq: status.value?.undoSeq ?? undefined
      })
      if (!r) await loadStatus()
      return r
    })
  }

  function redo() {
    return run('Could not redo', async () => {
      const r = await getApi().call('labels:redo', {
        datasetId: datasetId.value,
        expectedSeq: status.value?.redoSeq ?? undefined
      })
      if (!r) await loadStatus()
      return r
    })
  }

  /** Shows an image as the engine has it now (after a refused edit). */
  async function reload(split: DatasetSplit, index: number): Promise<void> {
    remember(
      split,
      await getApi().call('datasets:get-image', { datasetId: datasetId.value, split, index })
    )
    await loadStatus()
  }

  async function loadStatus(): Promise<void> {
    try {
      status.value = await getApi().call('labels:status', { datasetId: datasetId.value })
    } catch (err) {
      errors.report('Could not read the label corrections', err)
    }
  }

  let historyRequest = 0

  async function loadHistory(): Promise<void> {
    const request = ++historyRequest
    loadingHistory.value = true
    try {
      const page = await getApi().call('labels:history', {
        datasetId: datasetId.value,
        ...historyFilter,
        offset: historyPage.value * HISTORY_PAGE,
        limit: HISTORY_PAGE
      })
      if (request !== historyRequest) return
      history.value = page
      status.value = page.status
    } catch (err) {
      if (request === historyRequest) errors.report('Could not load the corrections', err)
    } finally {
      if (request === historyRequest) loadingHistory.value = false
    }
  }

  function setHistoryFilter(patch: HistoryFilter): Promise<void> {
    Object.assign(historyFilter, patch)
    historyPage.value = 0
    return loadHistory()
  }

  function goToHistoryPage(n: number): Promise<void> {
    const pages = Math.max(1, Math.ceil((history.value?.total ?? 0) / HISTORY_PAGE))
    historyPage.value = Math.min(Math.max(0, n), pages - 1)
    return loadHistory()
  }

  /**
   * The filtered history as CSV: downloaded in a browser; in the desktop app (whose window never
   * downloads) saved by the engine into the workspace's exports folder.
   */
  async function exportCsv(): Promise<CsvExport | null> {
    try {
      const browser = isBrowserMode()
      const result = await getApi().call('labels:export-csv', {
        datasetId: datasetId.value,
        ...historyFilter,
        save: !browser
      })
      if (browser) download(result.filename, result.csv)
      lastExport.value = result
      return result
    } catch (err) {
      errors.report('Could not export the corrections', err)
      return null
    }
  }

  return {
    datasetId,
    useDataset,
    status,
    changed,
    pending,
    lastSaved,
    version,
    history,
    historyFilter,
    historyPage,
    loadingHistory,
    lastExport,
    effective,
    set,
    toggleMark,
    undo,
    redo,
    reload,
    loadStatus,
    loadHistory,
    setHistoryFilter,
    goToHistoryPage,
    exportCsv
  }
})

function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
