import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { CorrectionEntry } from '@shared/labels'
import type { ImageItem, LabelChangeResult, LabelsSummary, Suggestion } from '@shared/studio-api'
import { useErrorsStore } from '../../../src/renderer/src/stores/errors'
import { useLabelsStore } from '../../../src/renderer/src/stores/labels'
import { useSuggestionsStore } from '../../../src/renderer/src/stores/suggestions'

const api = vi.hoisted(() => ({ call: vi.fn(), on: vi.fn() }))
vi.mock('@renderer/api', () => ({ getApi: () => api, isBrowserMode: () => false }))

const STATUS: LabelsSummary = {
  file: '/ws/labels/fashion-mnist.jsonl',
  entries: 1,
  relabelled: 1,
  ambiguous: 0,
  excluded: 0,
  canUndo: true,
  canRedo: false,
  undoSeq: 1,
  redoSeq: null,
  recovered: null,
  error: null
}

function result(image: ImageItem, entry: Partial<CorrectionEntry> = {}): LabelChangeResult {
  return {
    entry: {
      seq: 1,
      ts: 't',
      op: 'set',
      split: 'train',
      index: image.index,
      old: { label: 2, mark: null },
      new: { label: image.label, mark: image.mark ?? null },
      reason: 'manual',
      ...entry
    },
    split: 'train',
    image,
    status: STATUS
  }
}

const pullover: ImageItem = { index: 5, label: 2, pixels: '' }

beforeEach(() => {
  setActivePinia(createPinia())
  api.call.mockReset()
  api.call.mockImplementation(async (channel: string, args: Record<string, unknown>) => {
    if (channel === 'labels:set') {
      return result({ index: args.index as number, label: 6, originalLabel: 2, pixels: '' })
    }
    if (channel === 'datasets:list') return []
    if (channel === 'labels:undo') return result(pullover, { seq: 2, op: 'undo', target: 1 })
    throw new Error(`unexpected ${channel}`)
  })
})

describe('labels store', () => {
  it('sends the label it shows, then shows the saved one everywhere and refetches counts', async () => {
    const labels = useLabelsStore()
    await labels.set('train', pullover, { label: 6 })
    expect(api.call).toHaveBeenCalledWith('labels:set', {
      datasetId: 'fashion-mnist',
      split: 'train',
      index: 5,
      label: 6,
      reason: 'manual',
      expected: { label: 2, mark: null }
    })
    expect(labels.effective('train', pullover)).toMatchObject({ label: 6, originalLabel: 2 })
    expect(labels.effective('test', pullover)).toBe(pullover)
    expect(labels.lastSaved?.seq).toBe(1)
    expect(labels.pending).toBe(0)
    expect(api.call).toHaveBeenCalledWith('datasets:list', {})
  })

  it('on a refused edit (another window changed the image) says so and shows the image as it is', async () => {
    api.call.mockImplementation(async (channel: string) => {
      if (channel === 'labels:set') throw new Error('train image #5 was changed meanwhile')
      if (channel === 'datasets:get-image')
        return { index: 5, label: 4, originalLabel: 2, pixels: '' }
      if (channel === 'labels:status') return STATUS
      throw new Error(`unexpected ${channel}`)
    })
    const labels = useLabelsStore()
    expect(await labels.set('train', pullover, { label: 6 })).toBeNull()
    expect(useErrorsStore().messages[0]?.text).toMatch(/changed meanwhile/)
    expect(labels.effective('train', pullover).label).toBe(4)
    expect(labels.lastSaved).toBeNull()
  })

  it('undoes the correction the window saw as the newest', async () => {
    const labels = useLabelsStore()
    await labels.set('train', pullover, { label: 6 })
    await labels.undo()
    expect(api.call).toHaveBeenCalledWith('labels:undo', {
      datasetId: 'fashion-mnist',
      expectedSeq: 1
    })
    expect(labels.effective('train', pullover)).toEqual(pullover)
  })

  it('toggles a mark off when it is already set', async () => {
    const labels = useLabelsStore()
    await labels.toggleMark('train', { ...pullover, mark: 'ambiguous' }, 'ambiguous')
    expect(api.call.mock.calls[0]?.[1]).toMatchObject({ mark: null })
  })
})

describe('review queue', () => {
  const suggestion = (index: number): Suggestion => ({
    index,
    pixels: '',
    given: 2,
    suggested: 6,
    probability: 0.9,
    selfConfidence: 0.01,
    probabilities: [],
    current: { label: 2, mark: null }
  })

  it('accepts the suggested label with its reason and moves on; keeping the label writes nothing', async () => {
    api.call.mockImplementation(async (channel: string, args: Record<string, unknown>) => {
      if (channel === 'suggestions:get') {
        return { total: 3, offset: 0, items: [1, 2, 3].map(suggestion), meta: null }
      }
      if (channel === 'labels:set') {
        return result({ index: args.index as number, label: 6, originalLabel: 2, pixels: '' })
      }
      if (channel === 'datasets:list') return []
      throw new Error(`unexpected ${channel}`)
    })
    const queue = useSuggestionsStore()
    await queue.reload()
    await queue.accept()
    expect(api.call).toHaveBeenCalledWith(
      'labels:set',
      expect.objectContaining({ index: 1, label: 6, reason: 'suggestion' })
    )
    expect(queue.position).toBe(1)
    await queue.relabel(2) // the given label: nothing to save
    expect(api.call.mock.calls.filter((c) => c[0] === 'labels:set')).toHaveLength(1)
    expect(queue.position).toBe(2)
    queue.go(10)
    expect(queue.position).toBe(2)
  })
})
