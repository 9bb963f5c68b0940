// The shell: which view is shown (there is no router) and what the engine says about itself.
import { getApi } from '@renderer/api'
import type { AppInfo } from '@shared/studio-api'
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { useErrorsStore } from './errors'

export type ViewName = 'datasets' | 'review' | 'corrections' | 'train' | 'models' | 'photos'

export const useAppStore = defineStore('app', () => {
  const errors = useErrorsStore()
  const view = ref<ViewName>('datasets')
  const info = ref<AppInfo | null>(null)
  const infoFailed = ref(false)

  function navigate(to: ViewName): void {
    view.value = to
  }

  async function loadInfo(): Promise<void> {
    try {
      info.value = await getApi().call('app:get-info', {})
      infoFailed.value = false
    } catch (err) {
      infoFailed.value = true
      errors.report('Could not reach the engine', err)
    }
  }

  return { view, info, infoFailed, navigate, loadInfo }
})
