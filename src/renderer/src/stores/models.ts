// Trained models: the list, the selected model's detail (curves, report, confusion matrix), the
// drill-down into one confusion-matrix cell, and models ticked to be combined into an ensemble.
import { getApi } from '@renderer/api'
import type { CellImages, ModelDetail, ModelSummary } from '@shared/studio-api'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { useErrorsStore } from './errors'

export type CellSort = 'desc' | 'asc'

export interface CellKey {
  trueClass: number
  predictedClass: number
}

export const useModelsStore = defineStore('models', () => {
  const errors = useErrorsStore()
  const list = ref<ModelSummary[]>([])
  const selectedId = ref<string | null>(null)
  // Details and cells are read-only snapshots from the engine: shallow refs, replaced whole.
  const detail = shallowRef<ModelDetail | null>(null)
  /** The open drill-down (null when closed); `cell` holds its images once they arrive. */
  const openCellKey = ref<CellKey | null>(null)
  const cell = shallowRef<CellImages | null>(null)
  const cellSort = ref<CellSort>('desc')
  const loadingList = ref(false)
  const loadingDetail = ref(false)
  const loadingCell = ref(false)
  const listLoaded = ref(false)
  const listFailed = ref(false)
  /** Models ticked for an ensemble, in the order ticked (the members' order). */
  const checkedIds = ref<string[]>([])
  const creatingEnsemble = ref(false)

  /** Newest first, whatever order the engine lists them in. */
  const models = computed(() =>
    [...list.value].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  )
  const cellItems = computed(() => {
    const items = [...(cell.value?.items ?? [])]
    const sign = cellSort.value === 'desc' ? -1 : 1
    return items.sort((a, b) => sign * (a.confidence - b.confidence) || a.index - b.index)
  })

  /** Lists the models again; with none selected yet, the newest is opened. */
  async function refresh(): Promise<void> {
    loadingList.value = true
    try {
      list.value = await getApi().call('models:list', {})
      listLoaded.value = true
      listFailed.value = false
      // A ticked model that is gone (deleted outside the studio) cannot be a member any more.
      checkedIds.value = checkedIds.value.filter((id) => list.value.some((m) => m.id === id))
    } catch (err) {
      listFailed.value = true
      errors.report('Could not list the models', err)
      return
    } finally {
      loadingList.value = false
    }
    const newest = models.value[0]
    if (!selectedId.value && newest) await select(newest.id)
  }

  let detailRequest = 0

  /** Shows a model; an answer for a model no longer selected is dropped. */
  async function select(modelId: string): Promise<void> {
    const shownOrComing = detail.value?.summary.id === modelId || loadingDetail.value
    if (selectedId.value === modelId && shownOrComing) return
    selectedId.value = modelId
    closeCell()
    const request = ++detailRequest
    loadingDetail.value = true
    try {
      const result = await getApi().call('models:get', { modelId })
      if (request === detailRequest) detail.value = result
    } catch (err) {
      if (request === detailRequest) {
        detail.value = null
        errors.report(`Could not open model ${modelId}`, err)
      }
    } finally {
      if (request === detailRequest) loadingDetail.value = false
    }
  }

  /** Goes to a model that may be newer than the list (a run that just finished). */
  async function open(modelId: string): Promise<void> {
    closeCell()
    await Promise.all([select(modelId), refresh()])
  }

  function toggleChecked(modelId: string): void {
    checkedIds.value = checkedIds.value.includes(modelId)
      ? checkedIds.value.filter((id) => id !== modelId)
      : [...checkedIds.value, modelId]
  }

  /**
   * Combines the ticked models in the engine (the test set is evaluated there) and opens the new
   * model. On failure the ticks stay, so the user can fix the choice; resolves true when made.
   */
  async function createEnsemble(name?: string): Promise<boolean> {
    if (checkedIds.value.length < 2 || creatingEnsemble.value) return false
    creatingEnsemble.value = true
    let made: ModelSummary
    try {
      made = await getApi().call('models:create-ensemble', {
        modelIds: [...checkedIds.value],
        ...(name && { name })
      })
    } catch (err) {
      errors.report('Could not create the ensemble', err)
      return false
    } finally {
      creatingEnsemble.value = false
    }
    checkedIds.value = []
    await open(made.id)
    return true
  }

  let cellRequest = 0

  async function openCell(trueClass: number, predictedClass: number): Promise<void> {
    const modelId = selectedId.value
    if (!modelId) return
    const request = ++cellRequest
    openCellKey.value = { trueClass, predictedClass }
    cell.value = null
    cellSort.value = 'desc'
    loadingCell.value = true
    try {
      const result = await getApi().call('models:get-cell', { modelId, trueClass, predictedClass })
      if (request === cellRequest) cell.value = result
    } catch (err) {
      if (request === cellRequest) {
        openCellKey.value = null
        errors.report('Could not load the images of that cell', err)
      }
    } finally {
      if (request === cellRequest) loadingCell.value = false
    }
  }

  function closeCell(): void {
    cellRequest++
    openCellKey.value = null
    cell.value = null
    loadingCell.value = false
  }

  return {
    models,
    selectedId,
    detail,
    openCellKey,
    cell,
    cellSort,
    cellItems,
    loadingList,
    loadingDetail,
    loadingCell,
    listLoaded,
    listFailed,
    checkedIds,
    creatingEnsemble,
    refresh,
    select,
    open,
    toggleChecked,
    createEnsemble,
    openCell,
    closeCell
  }
})
