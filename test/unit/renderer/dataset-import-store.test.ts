// The import dialog's store against a fake API: the mapping pre-filled from the scan, the import
// held back while a subfolder has no class, the mapping sent, and the new dataset opened when done.
// Bad inputs tried: an unmapped subfolder, a folder name that is not a valid dataset name.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { FolderScan, ImportState } from '@shared/studio-api'
import {
  nameFromFolder,
  useDatasetImportStore
} from '../../../src/renderer/src/stores/dataset-import'

const api = vi.hoisted(() => ({ call: vi.fn(), on: vi.fn() }))
vi.mock('@renderer/api', () => ({ getApi: () => api }))

const SCAN: FolderScan = {
  folder: '/photos/Summer Catalogue',
  folders: [
    { folder: 'tees', images: 3, suggested: 0 },
    { folder: 'misc', images: 2, suggested: null },
    { folder: 'hats', images: 4, suggested: null }
  ],
  looseFiles: 0
}
const RUNNING: ImportState = {
  jobId: 'j1',
  name: 'Summer-Catalogue',
  folder: SCAN.folder,
  status: 'running',
  done: 0,
  total: 5,
  skipped: 0,
  error: null,
  datasetId: null
}
let listener: ((s: ImportState) => void) | undefined

beforeEach(() => {
  setActivePinia(createPinia())
  api.call.mockReset()
  api.on.mockReset()
  api.on.mockImplementation((_event: string, l: (s: ImportState) => void) => {
    listener = l
    return () => undefined
  })
  api.call.mockImplementation(async (channel: string) => {
    if (channel === 'datasets:scan-folder') return SCAN
    if (channel === 'datasets:import-folder') return RUNNING
    if (channel === 'datasets:list') return []
    throw new Error(`unexpected ${channel}`)
  })
})

describe('dataset import store', () => {
  it('names the dataset after the folder, as the engine accepts names', () => {
    expect(nameFromFolder('/photos/Summer Catalogue/')).toBe('Summer-Catalogue')
    expect(nameFromFolder('C:\\shop\\_new')).toBe('new')
    expect(nameFromFolder('/x/fashion-mnist')).toBe('my-photos')
  })

  it('holds the import back until every subfolder has a class or is left out', async () => {
    const store = useDatasetImportStore()
    store.open()
    store.folder = SCAN.folder
    await store.scanFolder()
    expect(store.step).toBe('mapping')
    expect(store.name).toBe('Summer-Catalogue')
    expect(store.unmapped).toEqual(['misc', 'hats'])
    expect(store.canImport).toBe(false)
    await store.start()
    expect(api.call).not.toHaveBeenCalledWith('datasets:import-folder', expect.anything())
    store.choices = { ...store.choices, misc: 6, hats: 'skip' }
    expect(store.imageCount).toBe(5)
    expect(store.canImport).toBe(true)
    await store.start()
    expect(api.call).toHaveBeenCalledWith('datasets:import-folder', {
      folder: SCAN.folder,
      name: 'Summer-Catalogue',
      mapping: { tees: 0, misc: 6, hats: 'skip' }
    })
    expect(store.step).toBe('importing')
  })

  it('follows the import state and closes once the dataset is there', async () => {
    const store = useDatasetImportStore()
    store.open()
    store.folder = SCAN.folder
    await store.scanFolder()
    store.choices = { tees: 0, misc: 6, hats: 8 }
    await store.start()
    listener!({ ...RUNNING, done: 3 })
    expect(store.state?.done).toBe(3)
    store.close() // refused while running
    expect(store.step).toBe('importing')
    listener!({ ...RUNNING, status: 'done', done: 5, datasetId: 'Summer-Catalogue' })
    await vi.waitFor(() => expect(store.step).toBe('closed'))
    expect(api.call).toHaveBeenCalledWith('datasets:list', {})
  })
})
