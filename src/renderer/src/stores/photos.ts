// Photos: a folder of product photos classified by one of the studio's models. The run happens in
// the engine (its progress arrives as 'photos:state' events, like a training run's); the results are
// fetched one page of one group at a time (a folder may hold 100,000 photos), and each page's
// thumbnails after it, so the 28x28 inputs show at once and the photos as they come.
import { getApi } from '@renderer/api'
import type {
  PhotoCsvExport,
  PhotoGroup,
  PhotoItem,
  PhotoRunState,
  PhotoSortResult
} from '@shared/studio-api'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { useErrorsStore } from './errors'

export const PHOTO_PAGE_SIZE = 48

export const usePhotosStore = defineStore('photos', () => {
  const errors = useErrorsStore()
  const folder = ref('')
  const modelId = ref<string | null>(null)
  const lowConfidence = ref(0.6)
  const state = shallowRef<PhotoRunState | null>(null)
  const group = ref<PhotoGroup>('all')
  const page = ref(0)
  const items = shallowRef<PhotoItem[]>([])
  const total = ref(0)
  const thumbnails = ref<Record<number, string | null>>({})
  const starting = ref(false)
  const loading = ref(false)
  const exported = shallowRef<PhotoCsvExport | null>(null)
  const exporting = ref(false)
  const sortDest = ref('')
  const sorted = shallowRef<PhotoSortResult | null>(null)
  const sorting = ref(false)

  const running = computed(() => state.value?.status === 'running')
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / PHOTO_PAGE_SIZE)))

  let unsubscribe: (() => void) | null = null
  let initialized: Promise<void> | null = null
  let pageRequest = 0
  let lastRefresh = 0

  function onState(s: PhotoRunState): void {
    const same = state.value?.runId === s.runId
    const wasRunning = same && state.value?.status === 'running'
    state.value = { ...s }
    if (!same) return
    // While running, the shown page fills as results arrive (at most once a second); at the end, once more.
    // After the run, only the user turns pages: a corrected photo stays in view, marked, until then.
    const now = performance.now()
    const ended = wasRunning && s.status !== 'running'
    if (ended || (s.status === 'running' && now - lastRefresh > 1000)) {
      lastRefresh = now
      void loadPage()
    }
  }

  function init(): Promise<void> {
    initialized ??= (async () => {
      unsubscribe ??= getApi().on('photos:state', onState)
      try {
        const s = await getApi().call('photos:get-state', {})
        if (s) {
          state.value = s
          folder.value ||= s.folder
          await loadPage()
        }
      } catch (err) {
        initialized = null
        errors.report('Could not read the photo run', err)
      }
    })()
    return initialized
  }

  /** The desktop app's folder dialog (the browser has none: the path is typed). */
  async function pickFolder(): Promise<void> {
    try {
      const picked = await getApi().call('app:pick-folder', { title: 'Folder of product photos' })
      if (picked) folder.value = picked
    } catch (err) {
      errors.report('Could not open the folder dialog', err)
    }
  }

  async function start(): Promise<void> {
    if (!modelId.value || !folder.value.trim()) return
    starting.value = true
    try {
      const s = await getApi().call('photos:start', {
        folder: folder.value.trim(),
        modelId: modelId.value,
        lowConfidence: lowConfidence.value
      })
      state.value = s
      group.value = 'all'
      page.value = 0
      items.value = []
      total.value = 0
      thumbnails.value = {}
      exported.value = null
      sorted.value = null
    } catch (err) {
      errors.report('Could not start classifying the folder', err)
    } finally {
      starting.value = false
    }
  }

  async function cancel(): Promise<void> {
    const runId = state.value?.runId
    if (!runId) return
    try {
      state.value = await getApi().call('photos:cancel', { runId })
    } catch (err) {
      errors.report('Could not cancel the run', err)
    }
  }

  async function loadPage(): Promise<void> {
    const runId = state.value?.runId
    if (!runId) return
    const request = ++pageRequest
    loading.value = true
    try {
      const result = await getApi().call('photos:get-results', {
        runId,
        group: group.value,
        offset: page.value * PHOTO_PAGE_SIZE,
        limit: PHOTO_PAGE_SIZE
      })
      if (request !== pageRequest) return
      items.value = result.items
      total.value = result.total
      if (page.value > 0 && page.value >= pageCount.value) {
        page.value = pageCount.value - 1
        return loadPage()
      }
      await loadThumbnails(runId, result.items)
    } catch (err) {
      if (request === pageRequest) errors.report('Could not load the results', err)
    } finally {
      if (request === pageRequest) loading.value = false
    }
  }

  async function loadThumbnails(runId: string, shown: PhotoItem[]): Promise<void> {
    const missing = shown
      .filter((i) => i.status === 'ok' && !(i.index in thumbnails.value))
      .map((i) => i.index)
    if (missing.length === 0) return
    const got = await getApi().call('photos:get-thumbnails', { runId, indices: missing })
    if (state.value?.runId !== runId) return
    const next = { ...thumbnails.value }
    for (const t of got) next[t.index] = t.url
    thumbnails.value = next
  }

  function setGroup(g: PhotoGroup): void {
    group.value = g
    page.value = 0
    void loadPage()
  }

  function goToPage(n: number): void {
    page.value = Math.min(Math.max(0, n), pageCount.value - 1)
    void loadPage()
  }

  /** Gives a photo the user's class (null takes the correction back). */
  async function setClass(item: PhotoItem, classIndex: number | null): Promise<void> {
    const runId = state.value?.runId
    if (!runId) return
    try {
      const updated = await getApi().call('photos:set-class', {
        runId,
        index: item.index,
        classIndex
      })
      // Shown as corrected where it is; it moves to its new group on the next page load.
      items.value = items.value.map((i) => (i.index === updated.index ? updated : i))
    } catch (err) {
      errors.report(`Could not correct ${item.file}`, err)
    }
  }

  async function exportCsv(): Promise<void> {
    const runId = state.value?.runId
    if (!runId) return
    exporting.value = true
    try {
      exported.value = await getApi().call('photos:export-csv', { runId })
    } catch (err) {
      errors.report('Could not export the results', err)
    } finally {
      exporting.value = false
    }
  }

  async function sortInto(): Promise<void> {
    const runId = state.value?.runId
    if (!runId || !sortDest.value.trim()) return
    sorting.value = true
    try {
      sorted.value = await getApi().call('photos:sort-into', { runId, dest: sortDest.value.trim() })
    } catch (err) {
      errors.report('Could not sort the photos', err)
    } finally {
      sorting.value = false
    }
  }

  function dispose(): void {
    unsubscribe?.()
    unsubscribe = null
    initialized = null
  }

  return {
    folder,
    modelId,
    lowConfidence,
    state,
    group,
    page,
    pageCount,
    items,
    total,
    thumbnails,
    starting,
    loading,
    running,
    exported,
    exporting,
    sortDest,
    sorted,
    sorting,
    init,
    pickFolder,
    start,
    cancel,
    loadPage,
    setGroup,
    goToPage,
    setClass,
    exportCsv,
    sortInto,
    dispose
  }
})
