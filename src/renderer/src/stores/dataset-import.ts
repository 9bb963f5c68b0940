// Importing a labelled folder from the Datasets view: the folder's path, its class subfolders with
// a class each (pre-filled from their names, unrecognised ones left for the user), then the import
// itself with its progress ('datasets:import-state' events); the new dataset then opens.
import { getApi } from '@renderer/api'
import type { FolderScan, ImportState } from '@shared/studio-api'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { useDatasetsStore } from './datasets'
import { useErrorsStore } from './errors'

export type ImportStep = 'closed' | 'folder' | 'mapping' | 'importing'
/** A subfolder's class (0..9), 'skip', or null: not chosen yet. */
export type Choice = number | 'skip' | null

/** A dataset name from a folder's name: what the engine accepts (letters, digits, . _ -). */
export function nameFromFolder(folder: string): string {
  const base =
    folder
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? ''
  const name = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64)
  return name && name.toLowerCase() !== 'fashion-mnist' ? name : 'my-photos'
}

export const useDatasetImportStore = defineStore('dataset-import', () => {
  const errors = useErrorsStore()
  const step = ref<ImportStep>('closed')
  const folder = ref('')
  const name = ref('')
  const scan = shallowRef<FolderScan | null>(null)
  const choices = ref<Record<string, Choice>>({})
  const scanning = ref(false)
  const state = ref<ImportState | null>(null)
  let listening = false

  const unmapped = computed(() =>
    (scan.value?.folders ?? []).filter((f) => choices.value[f.folder] === null).map((f) => f.folder)
  )
  const imageCount = computed(() =>
    (scan.value?.folders ?? [])
      .filter((f) => choices.value[f.folder] !== 'skip')
      .reduce((n, f) => n + f.images, 0)
  )
  const canImport = computed(
    () => !!scan.value && unmapped.value.length === 0 && imageCount.value > 0 && !!name.value.trim()
  )

  function listen(): void {
    if (listening) return
    listening = true
    getApi().on('datasets:import-state', (s) => {
      if (state.value && s.jobId !== state.value.jobId) return
      state.value = s
      if (s.status === 'done' && s.datasetId) void finished(s.datasetId)
    })
  }

  async function finished(datasetId: string): Promise<void> {
    await useDatasetsStore().refreshList(datasetId)
    step.value = 'closed'
  }

  function open(): void {
    listen()
    step.value = 'folder'
    scan.value = null
    state.value = null
  }

  function close(): void {
    if (state.value?.status === 'running') return
    step.value = 'closed'
  }

  async function scanFolder(): Promise<void> {
    const path = folder.value.trim()
    if (!path) return
    scanning.value = true
    try {
      const result = await getApi().call('datasets:scan-folder', { folder: path })
      scan.value = result
      choices.value = Object.fromEntries(result.folders.map((f) => [f.folder, f.suggested]))
      if (!name.value.trim()) name.value = nameFromFolder(result.folder)
      step.value = 'mapping'
    } catch (err) {
      errors.report('Could not read the folder', err)
    } finally {
      scanning.value = false
    }
  }

  async function start(): Promise<void> {
    if (!scan.value || !canImport.value) return
    const mapping: Record<string, number | 'skip'> = {}
    for (const [f, c] of Object.entries(choices.value)) if (c !== null) mapping[f] = c
    listen()
    try {
      state.value = await getApi().call('datasets:import-folder', {
        folder: scan.value.folder,
        name: name.value.trim(),
        mapping
      })
      step.value = 'importing'
    } catch (err) {
      errors.report('Could not start the import', err)
    }
  }

  async function cancel(): Promise<void> {
    await getApi()
      .call('datasets:cancel-import', {})
      .catch((err: unknown) => errors.report('Could not cancel the import', err))
  }

  return {
    step,
    folder,
    name,
    scan,
    choices,
    scanning,
    state,
    unmapped,
    imageCount,
    canImport,
    open,
    close,
    scanFolder,
    start,
    cancel,
    back: () => (step.value = scan.value ? 'mapping' : 'folder')
  }
})
