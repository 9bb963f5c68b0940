import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { DatasetSummary, ImagePage, StudioCallArgs } from '@shared/studio-api'
import { PAGE_SIZE, useDatasetsStore } from '../../../src/renderer/src/stores/datasets'
import { useErrorsStore } from '../../../src/renderer/src/stores/errors'
import { deferred } from './fixtures'

const api = vi.hoisted(() => ({ call: vi.fn(), on: vi.fn() }))
vi.mock('@renderer/api', () => ({ getApi: () => api }))

type PageArgs = StudioCallArgs<'datasets:get-images'>

const DATASET: DatasetSummary = {
  id: 'fashion-mnist',
  name: 'Fashion-MNIST',
  dir: '/data',
  classes: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
  counts: { train: new Array(10).fill(6000), test: new Array(10).fill(1000) }
}

function page(args: PageArgs): ImagePage {
  const total = args.label === null ? (args.split === 'train' ? 60000 : 10000) : 6000
  return {
    total,
    offset: args.offset,
    items: [{ index: args.offset, label: args.label ?? 0, pixels: '' }]
  }
}

function pageCalls(): PageArgs[] {
  return api.call.mock.calls
    .filter((c) => c[0] === 'datasets:get-images')
    .map((c) => c[1] as PageArgs)
}

beforeEach(() => {
  setActivePinia(createPinia())
  api.call.mockReset()
  api.call.mockImplementation(async (channel: string, args: unknown) => {
    if (channel === 'datasets:list') return [DATASET]
    if (channel === 'datasets:get-images') return page(args as PageArgs)
    throw new Error(`unexpected ${channel}`)
  })
})

describe('datasets store', () => {
  it('lists the datasets, then shows the first page of the training split', async () => {
    const store = useDatasetsStore()
    await store.init()
    expect(store.datasetId).toBe('fashion-mnist')
    expect(pageCalls()[0]).toEqual({
      datasetId: 'fashion-mnist',
      split: 'train',
      label: null,
      offset: 0,
      limit: PAGE_SIZE
    })
    expect(store.items[0]?.index).toBe(0)
    expect(store.total).toBe(60000)
    expect(store.pageCount).toBe(500)
  })

  it('pages with offset and limit, within the pages that exist', async () => {
    const store = useDatasetsStore()
    await store.init()
    await store.nextPage()
    expect(store.page).toBe(1)
    expect(store.items[0]?.index).toBe(PAGE_SIZE)
    await store.prevPage()
    await store.prevPage()
    expect(store.page).toBe(0)
    await store.goToPage(10_000)
    expect(store.page).toBe(499)
    expect(store.items[0]?.index).toBe(499 * PAGE_SIZE)
  })

  it('filters by class and split from the first page', async () => {
    const store = useDatasetsStore()
    await store.init()
    await store.goToPage(3)
    await store.setLabel(6)
    expect(store.page).toBe(0)
    expect(pageCalls().at(-2)).toMatchObject({ label: 6, offset: 0, split: 'train' })
    expect(store.total).toBe(6000)
    expect(store.pageCount).toBe(50)
    await store.setSplit('test')
    expect(store.total).toBe(1000)
    expect(store.pageCount).toBe(9)
    await store.setLabel(null)
    expect(store.total).toBe(10000)
  })

  it('fetches the next page ahead and serves it from memory', async () => {
    const store = useDatasetsStore()
    await store.init()
    // The page after the one shown was requested ahead of time...
    expect(pageCalls().map((a) => a.offset)).toEqual([0, PAGE_SIZE])
    await Promise.resolve()
    await store.nextPage()
    // ...so going there asks the engine only for the one after it.
    expect(pageCalls().map((a) => a.offset)).toEqual([0, PAGE_SIZE, 2 * PAGE_SIZE])
    await store.prevPage()
    expect(pageCalls()).toHaveLength(3)
    expect(store.items[0]?.index).toBe(0)
  })

  it('drops an answer that arrives after a newer request', async () => {
    const store = useDatasetsStore()
    await store.init()
    const slow = deferred<ImagePage>()
    api.call.mockImplementationOnce(() => slow.promise)
    const first = store.setLabel(1)
    const second = store.setLabel(2)
    await second
    slow.resolve({ total: 6000, offset: 0, items: [{ index: 99, label: 1, pixels: '' }] })
    await first
    expect(store.label).toBe(2)
    expect(store.items[0]?.label).toBe(2)
    expect(store.loadingImages).toBe(false)
  })

  it('reports a failed page as a message and keeps working', async () => {
    const store = useDatasetsStore()
    const errors = useErrorsStore()
    await store.init()
    api.call.mockRejectedValueOnce(new Error('engine stopped'))
    await store.setSplit('test')
    expect(errors.messages[0]?.text).toBe('Could not load images: engine stopped')
    expect(store.loadingImages).toBe(false)
    await store.setSplit('train')
    expect(store.items[0]?.index).toBe(0)
  })
})
