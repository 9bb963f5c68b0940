// Serving a model over HTTP from the studio: which model is served, at which URLs.
import { getApi } from '@renderer/api'
import type { ServingState } from '@shared/studio-api'
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { useErrorsStore } from './errors'

export const useServingStore = defineStore('serving', () => {
  const errors = useErrorsStore()
  const state = ref<ServingState | null>(null)
  const busy = ref(false)

  async function refresh(): Promise<void> {
    try {
      state.value = await getApi().call('serving:get-state', {})
    } catch (err) {
      errors.report('Could not read the serving state', err)
    }
  }

  async function start(modelId: string, engine: ServingState['engine'] = 'tfjs'): Promise<void> {
    busy.value = true
    try {
      state.value = await getApi().call('serving:start', { modelId, engine })
    } catch (err) {
      errors.report('Could not start serving', err)
    } finally {
      busy.value = false
    }
  }

  async function stop(): Promise<void> {
    busy.value = true
    try {
      await getApi().call('serving:stop', {})
      state.value = null
    } catch (err) {
      errors.report('Could not stop serving', err)
    } finally {
      busy.value = false
    }
  }

  return { state, busy, refresh, start, stop }
})
