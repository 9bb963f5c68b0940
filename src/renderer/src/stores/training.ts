// The Train view's state: the preset and its hyperparameters as typed (validated through the shared
// schema), and the current run as the engine reports it. The store listens to 'training:state' once
// for the life of the window and asks for the current state at start, so a reload shows a run that
// is already going.
import { getApi } from '@renderer/api'
import type { PresetInfo, TrainingState } from '@shared/studio-api'
import { SEED_PRESET, type TrainConfig } from '@shared/training'
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef } from 'vue'
import { configToForm, parseConfigForm, type ConfigForm } from '../lib/config-form'
import {
  curveSeries,
  isActive,
  isNewer,
  mergeBatchPoints,
  type BatchPoint
} from '../lib/training-state'
import { useErrorsStore } from './errors'

const DEFAULT_DATASET = 'fashion-mnist'

export const useTrainingStore = defineStore('training', () => {
  const errors = useErrorsStore()
  const presets = ref<PresetInfo[]>([])
  const presetId = ref<TrainConfig['preset']>(SEED_PRESET.preset)
  const form = reactive<ConfigForm>(configToForm(SEED_PRESET))
  const datasetId = ref(DEFAULT_DATASET)
  // The engine sends the state whole on every change: replace it, never observe it deeply.
  const state = shallowRef<TrainingState | null>(null)
  /** In-epoch points of the current job, accumulated over the states received. */
  const points = shallowRef<BatchPoint[]>([])
  const starting = ref(false)
  const cancelling = ref(false)

  const parsed = computed(() => parseConfigForm(form, presetId.value))
  const fieldErrors = computed(() => parsed.value.errors)
  const config = computed(() => parsed.value.config)
  const running = computed(() => isActive(state.value?.status))
  const canStart = computed(() => config.value !== null && !running.value && !starting.value)
  const preset = computed(() => presets.value.find((p) => p.id === presetId.value) ?? null)
  const series = computed(() => curveSeries(state.value?.epochs ?? [], points.value))

  /** Takes a state from any source if it is newer than the one shown. */
  function applyState(next: TrainingState | null): void {
    if (!next || !isNewer(state.value, next)) return
    const sameJob = state.value?.jobId === next.jobId
    points.value = mergeBatchPoints(sameJob ? points.value : [], next.batchPoints)
    state.value = next
    if (!isActive(next.status)) cancelling.value = false
  }

  let unsubscribe: (() => void) | null = null
  let initialized: Promise<void> | null = null

  /** Subscribes (once) and fetches the current run; safe to call from every view. */
  function init(): Promise<void> {
    initialized ??= (async () => {
      const api = getApi()
      unsubscribe ??= api.on('training:state', applyState)
      try {
        const current = await api.call('training:get-state', {})
        applyState(current)
        // A run already going (after a reload): show its settings rather than the defaults.
        if (current && isActive(current.status)) loadConfig(current.config)
      } catch (err) {
        initialized = null
        errors.report('Could not read the training state', err)
      }
    })()
    return initialized
  }

  async function loadPresets(): Promise<void> {
    if (presets.value.length) return
    try {
      presets.value = await getApi().call('presets:list', {})
    } catch (err) {
      errors.report('Could not list the presets', err)
    }
  }

  function loadConfig(c: TrainConfig): void {
    presetId.value = c.preset
    Object.assign(form, configToForm(c))
  }

  /** Picks a preset and fills the form with its defaults. */
  function selectPreset(id: string): void {
    const found = presets.value.find((p) => p.id === id)
    if (found) loadConfig(found.defaults)
  }

  function resetToDefaults(): void {
    loadConfig(preset.value?.defaults ?? SEED_PRESET)
  }

  async function start(): Promise<void> {
    const c = config.value
    if (!c || !canStart.value) return
    starting.value = true
    try {
      applyState(await getApi().call('training:start', { datasetId: datasetId.value, config: c }))
    } catch (err) {
      errors.report('Could not start training', err)
    } finally {
      starting.value = false
    }
  }

  /** Fine-tunes a model on the corrected labels: a run like any other (same state and events). */
  async function startFinetune(
    modelId: string,
    options: { epochs: number; replay: number; datasetId?: string }
  ): Promise<void> {
    if (running.value || starting.value) return
    starting.value = true
    try {
      applyState(await getApi().call('finetune:start', { modelId, ...options }))
    } catch (err) {
      errors.report('Could not start fine-tuning', err)
    } finally {
      starting.value = false
    }
  }

  async function cancel(): Promise<void> {
    const current = state.value
    if (!current || !isActive(current.status)) return
    cancelling.value = true
    try {
      applyState(await getApi().call('training:cancel', { jobId: current.jobId }))
    } catch (err) {
      cancelling.value = false
      errors.report('Could not cancel training', err)
    }
  }

  /** Stops listening (tests, hot reload); init() subscribes again. */
  function dispose(): void {
    unsubscribe?.()
    unsubscribe = null
    initialized = null
  }

  return {
    presets,
    presetId,
    form,
    datasetId,
    state,
    points,
    starting,
    cancelling,
    fieldErrors,
    config,
    running,
    canStart,
    preset,
    series,
    applyState,
    init,
    loadPresets,
    selectPreset,
    resetToDefaults,
    start,
    startFinetune,
    cancel,
    dispose
  }
})
