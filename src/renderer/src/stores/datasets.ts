// Datasets and the image browser: the list with counts per class, and one page of thumbnails at a
// time (split, class filter, page). Pages are small slices fetched on demand, kept in a small cache
// and the next one fetched ahead, so paging through 70,000 images stays instant.
import { getApi } from '@renderer/api'
import { CLASS_NAMES } from '@shared/classes'
import type { DatasetSummary, ImagePage, StudioCallArgs } from '@shared/studio-api'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { useErrorsStore } from './errors'

export type Split = 'train' | 'test'
export const PAGE_SIZE = 120
/** Pages kept in memory (about 130 kB each): enough to go back and forth without refetching. */
const CACHED_PAGES = 30

type PageArgs = StudioCallArgs<'datasets:get-images'>

export const useDatasetsStore = defineStore('datasets', () => {
  const errors = useErrorsStore()
  const datasets = ref<DatasetSummary[]>([])
  const datasetId = ref<string | null>(null)
  const split = ref<Split>('train')
  /** Class filter: null for all classes. */
  const label = ref<number | null>(null)
  /** Zero-based page number. */
  const page = ref(0)
  // shallowRef: a page is replaced whole, and deep reactivity over 120 base64 strings buys nothing.
  const images = shallowRef<ImagePage | null>(null)
  const loadingList = ref(false)
  const listFailed = ref(false)
  const loadingImages = ref(false)

  const dataset = computed(() => datasets.value.find((d) => d.id === datasetId.value) ?? null)
  const classes = computed<string[]>(() => dataset.value?.classes ?? [...CLASS_NAMES])
  /** Images matching the split and class filter, known from the counts before any page arrives. */
  const total = computed(() => {
    const counts = dataset.value?.counts[split.value]
    if (!counts) return images.value?.total ?? 0
    return label.value === null ? counts.reduce((a, b) => a + b, 0) : (counts[label.value] ?? 0)
  })
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / PAGE_SIZE)))
  const items = computed(() => images.value?.items ?? [])

  let listRequest: Promise<void> | null = null

  /** Loads the dataset list once (again only after a failure). */
  function loadList(): Promise<void> {
    listRequest ??= (async () => {
      loadingList.value = true
      try {
        datasets.value = await getApi().call('datasets:list', {})
        listFailed.value = false
        if (!dataset.value) datasetId.value = datasets.value[0]?.id ?? null
      } catch (err) {
        listRequest = null
        listFailed.value = true
        errors.report('Could not list the datasets', err)
      } finally {
        loadingList.value = false
      }
    })()
    return listRequest
  }

  const cache = new Map<string, ImagePage>()
  const inFlight = new Map<string, Promise<ImagePage>>()
  let latestRequest = 0
  /** Bumped when labels change: pages fetched before are not cached. */
  let generation = 0

  function pageArgs(pageNumber: number): PageArgs | null {
    if (!datasetId.value) return null
    return {
      datasetId: datasetId.value,
      split: split.value,
      label: label.value,
      offset: pageNumber * PAGE_SIZE,
      limit: PAGE_SIZE
    }
  }

  function fetchPage(args: PageArgs): Promise<ImagePage> {
    const key = JSON.stringify(args)
    const cached = cache.get(key)
    if (cached) {
      // Map order is insertion order: re-inserting marks the page as recently used.
      cache.delete(key)
      cache.set(key, cached)
      return Promise.resolve(cached)
    }
    let request = inFlight.get(key)
    if (!request) {
      const asked = generation
      request = getApi()
        .call('datasets:get-images', args)
        .then((result) => {
          if (asked === generation) cache.set(key, result)
          if (cache.size > CACHED_PAGES) cache.delete(cache.keys().next().value as string)
          return result
        })
        .finally(() => inFlight.delete(key))
      inFlight.set(key, request)
    }
    return request
  }

  /** Shows the current page; an answer that arrives after a newer request is dropped. */
  async function loadImages(): Promise<void> {
    const args = pageArgs(page.value)
    if (!args) return
    const request = ++latestRequest
    loadingImages.value = true
    try {
      const result = await fetchPage(args)
      if (request !== latestRequest) return
      images.value = result
      prefetch(page.value + 1)
    } catch (err) {
      if (request === latestRequest) errors.report('Could not load images', err)
    } finally {
      if (request === latestRequest) loadingImages.value = false
    }
  }

  function prefetch(pageNumber: number): void {
    const args = pageArgs(pageNumber)
    // Failures here are not the user's concern: the page is fetched again if they go there.
    if (args && pageNumber < pageCount.value) fetchPage(args).catch(() => undefined)
  }

  /**
   * Labels changed: forget the cached pages (they carry the old labels) and refetch the counts. The
   * page on screen stays as it is, so an image being corrected does not jump away under the viewer;
   * the views show the new label from the labels store, and the next page fetched is current.
   */
  function invalidate(): void {
    generation++
    cache.clear()
    inFlight.clear()
    getApi()
      .call('datasets:list', {})
      .then((list) => (datasets.value = list))
      .catch(() => undefined)
  }

  /** Lists the datasets again (a new one was imported) and opens `openId` when given. */
  async function refreshList(openId?: string): Promise<void> {
    listRequest = null
    await loadList()
    if (openId && datasets.value.some((d) => d.id === openId)) await setDataset(openId)
  }

  async function init(): Promise<void> {
    await loadList()
    if (!images.value) await loadImages()
  }

  function setDataset(id: string): Promise<void> {
    datasetId.value = id
    page.value = 0
    // An imported dataset is one split, 'test'.
    if (datasets.value.find((d) => d.id === id)?.kind === 'imported') split.value = 'test'

    return loadImages()
  }

  function setSplit(value: Split): Promise<void> {
    split.value = value
    page.value = 0
    return loadImages()
  }

  function setLabel(value: number | null): Promise<void> {
    label.value = value
    page.value = 0
    return loadImages()
  }

  /** Goes to a zero-based page, clamped to the pages that exist. */
  function goToPage(n: number): Promise<void> {
    const target = Math.min(Math.max(0, Math.floor(n)), pageCount.value - 1)
    if (target === page.value && images.value) return Promise.resolve()
    page.value = target
    return loadImages()
  }

  return {
    datasets,
    datasetId,
    split,
    label,
    page,
    images,
    loadingList,
    listFailed,
    loadingImages,
    dataset,
    classes,
    total,
    pageCount,
    items,
    loadList,
    refreshList,
    loadImages,
    invalidate,
    init,
    setDataset,
    setSplit,
    setLabel,
    goToPage,
    nextPage: () => goToPage(page.value + 1),
    prevPage: () => goToPage(page.value - 1)
  }
})
