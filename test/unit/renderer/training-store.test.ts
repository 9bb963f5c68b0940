import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { TrainingState } from '@shared/studio-api'
import { CNN_BN_PRESET, PRESETS, SEED_PRESET } from '@shared/training'
import { useErrorsStore } from '../../../src/renderer/src/stores/errors'
import { useTrainingStore } from '../../../src/renderer/src/stores/training'
import { deferred, epochLogs, trainingState } from './fixtures'

const api = vi.hoisted(() => ({ call: vi.fn(), on: vi.fn() }))
vi.mock('@renderer/api', () => ({ getApi: () => api }))

/** The listener the store gave to api.on('training:state'). */
function emitState(state: TrainingState): void {
  const listener = api.on.mock.calls.at(-1)?.[1] as (s: TrainingState) => void
  listener(state)
}

beforeEach(() => {
  setActivePinia(createPinia())
  api.call.mockReset()
  api.on.mockReset()
  api.on.mockReturnValue(() => undefined)
})

describe('training store: the form', () => {
  it('starts valid with the seed preset', () => {
    const store = useTrainingStore()
    expect(store.fieldErrors).toEqual({})
    expect(store.config).toEqual(SEED_PRESET)
    expect(store.canStart).toBe(true)
  })

  it('gives one plain message per invalid field and blocks Start', () => {
    const store = useTrainingStore()
    store.form.epochs = ''
    store.form.batchSize = '1.5'
    store.form.learningRate = '0'
    store.form.validationSplit = '0.95'
    store.form.seed = 'abc'
    store.form.hiddenUnits = '128, 0'
    expect(store.fieldErrors).toEqual({
      epochs: 'Required',
      batchSize: 'Must be a whole number',
      learningRate: 'Must be greater than 0',
      validationSplit: 'Must be at most 0.9',
      seed: 'Must be a number',
      hiddenUnits: 'Layer 2: must be at least 1'
    })
    expect(store.config).toBeNull()
    expect(store.canStart).toBe(false)
  })

  it('parses hidden units as comma-separated widths', () => {
    const store = useTrainingStore()
    store.form.hiddenUnits = ' 256 ,128,64 '
    expect(store.config?.hiddenUnits).toEqual([256, 128, 64])
    store.form.hiddenUnits = '128, x'
    expect(store.fieldErrors.hiddenUnits).toBe('Layer 2: "x" is not a number')
    store.form.hiddenUnits = '128,,64'
    expect(store.fieldErrors.hiddenUnits).toMatch(/separated by commas/)
    store.form.hiddenUnits = ''
    expect(store.fieldErrors.hiddenUnits).toMatch(/at least one layer/)
    store.form.hiddenUnits = '1,2,3,4,5,6,7,8,9'
    expect(store.fieldErrors.hiddenUnits).toBe('At most 8 layers')
  })

  it('fills the form from a preset', async () => {
    api.call.mockResolvedValueOnce([
      {
        id: 'seed',
        name: 'Seed',
        description: '',
        defaults: {
          ...CNN_BN_PRESET,
          epochs: 2,
          batchSize: 32,
          learningRate: 0.01,
          validationSplit: 0.1,
          seed: 7,
          hiddenUnits: [32]
        }
      }
    ])
    const store = useTrainingStore()
    await store.loadPresets()
    store.selectPreset('seed')
    expect(store.form).toEqual({
      epochs: '2',
      batchSize: '32',
      learningRate: '0.01',
      validationSplit: '0.1',
      seed: '7',
      hiddenUnits: '32',
      convFilters: '32, 64',
      convsPerBlock: '1',
      padding: 'same',
      batchNorm: 'true',
      dropout: '0.3',
      shift: '2',
      flip: 'true',
      erase: 'false',
      schedule: 'one-cycle',
      reduceOnPlateau: 'false',
      earlyStoppingPatience: '0',
      labelSmoothing: '0',
      mixedPrecision: 'false'
    })
  })

  it('round-trips every preset through the form, and flags a bad augmentation field by name', async () => {
    api.call.mockResolvedValueOnce(
      Object.values(PRESETS).map((p) => ({
        id: p.preset,
        name: p.preset,
        description: '',
        defaults: p
      }))
    )
    const store = useTrainingStore()
    await store.loadPresets()
    for (const preset of Object.values(PRESETS)) {
      store.selectPreset(preset.preset)
      expect(store.config).toEqual(preset)
    }
    store.form.shift = '12'
    expect(store.fieldErrors.shift).toBe('Must be at most 8')
    store.form.shift = '2'
    store.form.convFilters = ''
    expect(store.config?.convFilters).toEqual([])
  })
})

describe('training store: the run', () => {
  it('subscribes once and shows the current run at start', async () => {
    const running = trainingState({
      status: 'training',
      config: { ...trainingState().config, epochs: 9 }
    })
    api.call.mockResolvedValue(running)
    const store = useTrainingStore()
    await Promise.all([store.init(), store.init()])
    expect(api.on).toHaveBeenCalledTimes(1)
    expect(api.on).toHaveBeenCalledWith('training:state', expect.any(Function))
    expect(api.call).toHaveBeenCalledWith('training:get-state', {})
    expect(store.state?.jobId).toBe('job-1')
    expect(store.running).toBe(true)
    // A run already going after a reload: the form shows its settings.
    expect(store.form.epochs).toBe('9')
  })

  it('ignores a state older than the one shown', async () => {
    api.call.mockResolvedValue(null)
    const store = useTrainingStore()
    await store.init()
    emitState(trainingState({ epochs: [epochLogs(1)], batch: null }))
    emitState(trainingState({ status: 'loading-data' }))
    expect(store.state?.status).toBe('training')
    expect(store.state?.epochs).toHaveLength(1)
    emitState(trainingState({ status: 'done', epochs: [epochLogs(1)], modelId: 'm1' }))
    emitState(trainingState({ status: 'saving', epochs: [epochLogs(1)] }))
    expect(store.state?.status).toBe('done')
    expect(store.running).toBe(false)
  })

  it('keeps in-epoch points across states that carry only the current epoch', async () => {
    api.call.mockResolvedValue(null)
    const store = useTrainingStore()
    await store.init()
    const batch = { epoch: 1, batch: 2, batches: 4, loss: 1, accuracy: 0.5 }
    emitState(
      trainingState({
        batch,
        batchPoints: [
          [0.25, 2, 0.3],
          [0.5, 1.5, 0.4]
        ]
      })
    )
    emitState(
      trainingState({
        epochs: [epochLogs(1)],
        batch: { ...batch, epoch: 2, batch: 1 },
        batchPoints: [[1.25, 0.9, 0.7]]
      })
    )
    expect(store.points.map((p) => p[0])).toEqual([0.25, 0.5, 1.25])
    // Training loss: two in-epoch points, epoch 1's value, one point of epoch 2.
    expect(store.series.trainLoss.map((p) => p.x)).toEqual([0.25, 0.5, 1, 1.25])
    expect(store.series.valLoss).toEqual([{ x: 1, y: 1.1 }])
  })

  it('takes cumulative point lists whole, and starts over for a new job', async () => {
    api.call.mockResolvedValue(null)
    const store = useTrainingStore()
    await store.init()
    const batch = { epoch: 1, batch: 1, batches: 4, loss: 1, accuracy: 0.5 }
    emitState(trainingState({ batch, batchPoints: [[0.25, 2, 0.3]] }))
    emitState(
      trainingState({
        batch: { ...batch, batch: 2 },
        batchPoints: [
          [0.25, 2, 0.3],
          [0.5, 1, 0.5]
        ]
      })
    )
    expect(store.points).toHaveLength(2)
    emitState(
      trainingState({
        jobId: 'job-2',
        status: 'loading-data',
        startedAt: '2026-01-01T11:00:00.000Z'
      })
    )
    expect(store.state?.jobId).toBe('job-2')
    expect(store.points).toEqual([])
    // A late state of the old job does not replace the new one.
    emitState(trainingState({ status: 'done', modelId: 'old' }))
    expect(store.state?.jobId).toBe('job-2')
  })

  it('starts with the parsed config and keeps events newer than the reply', async () => {
    const reply = deferred<TrainingState>()
    api.call.mockImplementation((channel: string) =>
      channel === 'training:start' ? reply.promise : Promise.resolve(null)
    )
    const store = useTrainingStore()
    await store.init()
    store.form.epochs = '2'
    const starting = store.start()
    expect(store.canStart).toBe(false)
    expect(api.call).toHaveBeenCalledWith('training:start', {
      datasetId: 'fashion-mnist',
      config: expect.objectContaining({ epochs: 2, hiddenUnits: [128, 64] })
    })
    // The event of the running job arrives before the reply to training:start.
    emitState(
      trainingState({
        status: 'training',
        batch: { epoch: 1, batch: 5, batches: 10, loss: 1, accuracy: 0.6 }
      })
    )
    reply.resolve(trainingState({ status: 'loading-data' }))
    await starting
    expect(store.state?.status).toBe('training')
    expect(store.starting).toBe(false)
  })

  it('does not start while the form is invalid', async () => {
    const store = useTrainingStore()
    store.form.epochs = '0'
    await store.start()
    expect(api.call).not.toHaveBeenCalledWith('training:start', expect.anything())
  })

  it('cancels the current job', async () => {
    api.call.mockResolvedValueOnce(trainingState())
    const store = useTrainingStore()
    await store.init()
    api.call.mockResolvedValueOnce(trainingState({ status: 'cancelled' }))
    await store.cancel()
    expect(api.call).toHaveBeenLastCalledWith('training:cancel', { jobId: 'job-1' })
    expect(store.state?.status).toBe('cancelled')
    expect(store.cancelling).toBe(false)
  })

  it('reports a failed start as a message', async () => {
    api.call.mockRejectedValue(new Error('a training run is already in progress'))
    const store = useTrainingStore()
    const errors = useErrorsStore()
    await store.start()
    expect(errors.messages.map((m) => m.text)).toEqual([
      'Could not start training: a training run is already in progress'
    ])
    expect(store.starting).toBe(false)
  })
})
