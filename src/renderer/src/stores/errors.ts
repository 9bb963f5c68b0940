// Failed calls end up here and show as dismissible messages, so a failure is never a blank screen.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '../lib/format'

export interface ErrorMessage {
  id: number
  text: string
  /** How many times this same text was reported while shown. */
  count: number
}

export const useErrorsStore = defineStore('errors', () => {
  const messages = ref<ErrorMessage[]>([])
  let nextId = 1

  /** Shows "context: message"; a repeat of a shown message bumps its count instead. */
  function report(context: string, err: unknown): void {
    const text = `${context}: ${errorMessage(err)}`
    const same = messages.value.find((m) => m.text === text)
    if (same) same.count++
    else messages.value.push({ id: nextId++, text, count: 1 })
  }

  function dismiss(id: number): void {
    messages.value = messages.value.filter((m) => m.id !== id)
  }

  function dismissAll(): void {
    messages.value = []
  }

  return { messages, report, dismiss, dismissAll }
})
