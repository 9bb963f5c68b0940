// The review queue: the search for likely label errors (started here, its progress sent by the
// engine like a training run's) and the ranked suggestions, walked through one at a time. The
// suggestions are fetched page by page as the queue advances.
import { getApi } from '@renderer/api'
import type { Mark } from '@shared/labels'
import type { ImageItem, Suggestion, SuggestionsMeta, SuggestionsState } from '@shared/studio-api'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { useErrorsStore } from './errors'
import { useLabelsStore } from './labels'

const DATASET = 'fashion-mnist'
const PAGE = 50

/** A suggestion as an image of the training split, as the labels store takes it. */
export function suggestionImage(s: Suggestion): ImageItem {
  const item: ImageItem = { index: s.index, label: s.current.label, pixels: s.pixels }
  if (s.current.label !== s.given) item.originalLabel = s.given
  if (s.current.mark) item.mark = s.current.mark
  return item
}

export const useSuggestionsStore = defineStore('suggestions', () => {
  const errors = useErrorsStore()
  const labels = useLabelsStore()
  const state = shallowRef<SuggestionsState | null>(null)
  const items = shallowRef<Suggestion[]>([])
  const total = ref(0)
  const meta = shallowRef<SuggestionsMeta | null>(null)
  const position = ref(0)
  const folds = ref(5)
  const epochs = ref(4)
  const loading = ref(false)
  const starting = ref(false)

  const running = computed(() => state.value?.status === 'running')
  const current = computed(() => items.value[position.value] ?? null)

  let unsubscribe: (() => void) | null = null
  let initialized: Promise<void> | null = null

  function onState(s: SuggestionsState): void {
    const wasRunning = state.value?.status === 'running' && state.value.jobId === s.jobId
    state.value = { ...s }
    if (wasRunning && s.status === 'done') void reload()
  }

  function init(): Promise<void> {
    initialized ??= (async () => {
      unsubscribe ??= getApi().on('suggestions:state', onState)
      try {
        const s = await getApi().call('suggestions:get-state', {})
        if (s) state.value = s
        await reload()
      } catch (err) {
        initialized = null
        errors.report('Could not load the suggestions', err)
      }
    })()
    return initialized
  }

  /** Drops what is loaded and fetches the first page (after a new search). */
  async function reload(): Promise<void> {
    items.value = []
    position.value = 0
    await fetchMore()
  }

  async function fetchMore(): Promise<void> {
    if (loading.value) return
    loading.value = true
    try {
      const page = await getApi().call('suggestions:get', {
        datasetId: DATASET,
        offset: items.value.length,
        limit: PAGE
      })
      items.value = [...items.value, ...page.items]
      total.value = page.total
      meta.value = page.meta
    } catch (err) {
      errors.report('Could not load the suggestions', err)
    } finally {
      loading.value = false
    }
  }

  async function start(): Promise<void> {
    starting.value = true
    try {
      state.value = await getApi().call('suggestions:start', {
        datasetId: DATASET,
        folds: folds.value,
        epochs: epochs.value
      })
    } catch (err) {
      errors.report('Could not start the search for label errors', err)
    } finally {
      starting.value = false
    }
  }

  async function cancel(): Promise<void> {
    try {
      const s = await getApi().call('suggestions:cancel', {})
      if (s) state.value = s
    } catch (err) {
      errors.report('Could not cancel the search', err)
    }
  }

  function go(to: number): void {
    position.value = Math.min(Math.max(0, to), Math.max(0, total.value - 1))
    // Fetch ahead so the queue never waits at a page boundary.
    if (position.value >= items.value.length - 10 && items.value.length < total.value) {
      void fetchMore()
    }
  }

  /** The queue item with this window's corrections applied. */
  function shown(s: Suggestion): ImageItem {
    return labels.effective('train', suggestionImage(s))
  }

  /** Sets the label (the suggested one: Enter) or a mark, and moves on once it is saved. */
  async function decide(
    change: { label: number } | { mark: Mark | null },
    reason: 'manual' | 'suggestion'
  ): Promise<void> {
    const s = current.value
    if (!s) return
    const now = shown(s)
    const unchanged =
      'label' in change ? now.label === change.label && !now.mark : now.mark === change.mark
    if (!unchanged) {
      const result = await labels.set('train', suggestionImage(s), change, reason)
      if (!result) return
    }
    go(position.value + 1)
  }

  function dispose(): void {
    unsubscribe?.()
    unsubscribe = null
    initialized = null
  }

  return {
    state,
    items,
    total,
    meta,
    position,
    folds,
    epochs,
    loading,
    starting,
    running,
    current,
    init,
    reload,
    start,
    cancel,
    go,
    shown,
    accept: () =>
      current.value ? decide({ label: current.value.suggested }, 'suggestion') : undefined,
    relabel: (label: number) => decide({ label }, 'manual'),
    mark: (mark: Mark) => decide({ mark }, 'manual'),
    dispose
  }
})
