import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { CellImages, ModelDetail } from '@shared/studio-api'
import { useErrorsStore } from '../../../src/renderer/src/stores/errors'
import { useModelsStore } from '../../../src/renderer/src/stores/models'
import { modelSummary } from './fixtures'

const api = vi.hoisted(() => ({ call: vi.fn(), on: vi.fn() }))
vi.mock('@renderer/api', () => ({ getApi: () => api }))

const OLD = modelSummary('seed-old', '2026-01-01T10:00:00.000Z')
const NEW = modelSummary('seed-new', '2026-01-02T10:00:00.000Z')

function detail(id: string): ModelDetail {
  return {
    summary: modelSummary(id, '2026-01-02T10:00:00.000Z'),
    classes: ['a', 'b'],
    history: [],
    report: {
      classes: [],
      accuracy: 0.9,
      macroAvg: { precision: 0, recall: 0, f1: 0, support: 0 },
      weightedAvg: { precision: 0, recall: 0, f1: 0, support: 0 },
      total: 0
    },
    confusion: [
      [9, 1],
      [2, 8]
    ]
  }
}

const CELL: CellImages = {
  trueClass: 1,
  predictedClass: 0,
  items: [
    { index: 5, label: 1, pixels: '', predicted: 0, confidence: 0.9, probabilities: [0.9, 0.1] },
    { index: 3, label: 1, pixels: '', predicted: 0, confidence: 0.6, probabilities: [0.6, 0.4] }
  ]
}

beforeEach(() => {
  setActivePinia(createPinia())
  api.call.mockReset()
  api.call.mockImplementation(async (channel: string, args: { modelId?: string }) => {
    if (channel === 'models:list') return [OLD, NEW]
    if (channel === 'models:get') return detail(args.modelId ?? '')
    if (channel === 'models:get-cell') return CELL
    throw new Error(`unexpected ${channel}`)
  })
})

describe('models store', () => {
  it('lists newest first and selects the newest', async () => {
    const store = useModelsStore()
    await store.refresh()
    expect(store.models.map((m) => m.id)).toEqual(['seed-new', 'seed-old'])
    expect(store.selectedId).toBe('seed-new')
    expect(store.detail?.summary.id).toBe('seed-new')
  })

  it('opens a given model even when another was selected', async () => {
    const store = useModelsStore()
    await store.refresh()
    await store.open('seed-old')
    expect(store.selectedId).toBe('seed-old')
    expect(store.detail?.summary.id).toBe('seed-old')
    expect(api.call).toHaveBeenCalledWith('models:get', { modelId: 'seed-old' })
  })

  it('drills into a cell and sorts it by confidence', async () => {
    const store = useModelsStore()
    await store.refresh()
    await store.openCell(1, 0)
    expect(api.call).toHaveBeenLastCalledWith('models:get-cell', {
      modelId: 'seed-new',
      trueClass: 1,
      predictedClass: 0
    })
    expect(store.openCellKey).toEqual({ trueClass: 1, predictedClass: 0 })
    expect(store.cellItems.map((i) => i.index)).toEqual([5, 3])
    store.cellSort = 'asc'
    expect(store.cellItems.map((i) => i.index)).toEqual([3, 5])
    store.closeCell()
    expect(store.openCellKey).toBeNull()
    expect(store.cellItems).toEqual([])
  })

  it('closes the drill-down when another model is selected', async () => {
    const store = useModelsStore()
    await store.refresh()
    await store.openCell(0, 0)
    await store.select('seed-old')
    expect(store.openCellKey).toBeNull()
  })

  it('reports failures as messages', async () => {
    const store = useModelsStore()
    const errors = useErrorsStore()
    api.call.mockRejectedValueOnce(new Error('disk unreadable'))
    await store.refresh()
    api.call.mockRejectedValueOnce(new Error('metadata.json is missing'))
    await store.select('seed-x')
    expect(errors.messages.map((m) => m.text)).toEqual([
      'Could not list the models: disk unreadable',
      'Could not open model seed-x: metadata.json is missing'
    ])
    expect(store.detail).toBeNull()
  })

  describe('ensemble from ticked models', () => {
    it('ticks in order, combines them, clears the ticks and opens the new model', async () => {
      const store = useModelsStore()
      await store.refresh()
      store.toggleChecked('seed-old')
      expect(await store.createEnsemble()).toBe(false) // one model: nothing is asked
      store.toggleChecked('seed-new')
      const made = { ...modelSummary('pair', '2026-01-03T10:00:00.000Z'), preset: 'ensemble' }
      api.call.mockImplementationOnce(async () => made)
      const creating = store.createEnsemble('pair')
      expect(store.creatingEnsemble).toBe(true)
      expect(await creating).toBe(true)
      expect(api.call).toHaveBeenCalledWith('models:create-ensemble', {
        modelIds: ['seed-old', 'seed-new'],
        name: 'pair'
      })
      expect(store.creatingEnsemble).toBe(false)
      expect(store.checkedIds).toEqual([])
      expect(store.selectedId).toBe('pair')
    })

    it('keeps the ticks when the engine refuses (bad input loses nothing), and reports why', async () => {
      const store = useModelsStore()
      const errors = useErrorsStore()
      await store.refresh()
      store.toggleChecked('seed-new')
      store.toggleChecked('seed-old')
      api.call.mockRejectedValueOnce(new Error('a model named "pair" already exists'))
      expect(await store.createEnsemble('pair')).toBe(false)
      expect(store.checkedIds).toEqual(['seed-new', 'seed-old'])
      expect(store.creatingEnsemble).toBe(false)
      expect(errors.messages.map((m) => m.text)).toEqual([
        'Could not create the ensemble: a model named "pair" already exists'
      ])
      // Unticking and a model gone from the list both drop it from the members.
      store.toggleChecked('seed-new')
      expect(store.checkedIds).toEqual(['seed-old'])
      api.call.mockImplementationOnce(async () => [NEW])
      await store.refresh()
      expect(store.checkedIds).toEqual([])
    })
  })
})
