// A model evaluated on an imported dataset, from the Datasets view: the report, the confusion matrix
// (rows: labels as corrected), and the drill-down into one cell's images.
import { getApi } from '@renderer/api'
import type { CellImages, DatasetEvaluationResult } from '@shared/studio-api'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { useErrorsStore } from './errors'
import type { CellKey, CellSort } from './models'

export const useDatasetEvaluationStore = defineStore('dataset-evaluation', () => {
  const errors = useErrorsStore()
  const modelId = ref<string | null>(null)
  const result = shallowRef<DatasetEvaluationResult | null>(null)
  const evaluating = ref(false)
  const openCellKey = ref<CellKey | null>(null)
  const cell = shallowRef<CellImages | null>(null)
  const loadingCell = ref(false)
  const cellSort = ref<CellSort>('desc')

  const cellItems = computed(() => {
    const items = [...(cell.value?.items ?? [])]
    const sign = cellSort.value === 'desc' ? -1 : 1
    return items.sort((a, b) => sign * (a.confidence - b.confidence) || a.index - b.index)
  })

  /** The evaluation shown belongs to this dataset (another dataset's is hidden, not shown). */
  function resultFor(datasetId: string | null): DatasetEvaluationResult | null {
    return result.value && result.value.datasetId === datasetId ? result.value : null
  }

  async function evaluate(datasetId: string): Promise<void> {
    if (!modelId.value) return
    evaluating.value = true
    closeCell()
    try {
      result.value = await getApi().call('datasets:evaluate', {
        datasetId,
        modelId: modelId.value
      })
    } catch (err) {
      errors.report('Could not evaluate the model', err)
    } finally {
      evaluating.value = false
    }
  }

  let cellRequest = 0
  async function openCell(trueClass: number, predictedClass: number): Promise<void> {
    const r = result.value
    if (!r) return
    const request = ++cellRequest
    openCellKey.value = { trueClass, predictedClass }
    cell.value = null
    loadingCell.value = true
    try {
      const images = await getApi().call('datasets:get-eval-cell', {
        datasetId: r.datasetId,
        modelId: r.modelId,
        trueClass,
        predictedClass
      })
      if (request === cellRequest) cell.value = images
    } catch (err) {
      if (request === cellRequest) errors.report('Could not load the images', err)
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
    modelId,
    result,
    evaluating,
    openCellKey,
    cell,
    cellItems,
    loadingCell,
    cellSort,
    resultFor,
    evaluate,
    openCell,
    closeCell
  }
})
