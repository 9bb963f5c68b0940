import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, expect, it } from 'vitest'
import { useErrorsStore } from '../../../src/renderer/src/stores/errors'

beforeEach(() => setActivePinia(createPinia()))

it('shows each failure once, counting repeats, until dismissed', () => {
  const errors = useErrorsStore()
  errors.report('Could not load images', new Error('timeout'))
  errors.report('Could not load images', new Error('timeout'))
  errors.report('Could not list the models', 'offline')
  expect(errors.messages.map((m) => [m.text, m.count])).toEqual([
    ['Could not load images: timeout', 2],
    ['Could not list the models: offline', 1]
  ])
  errors.dismiss(errors.messages[0]!.id)
  expect(errors.messages).toHaveLength(1)
  errors.dismissAll()
  expect(errors.messages).toEqual([])
})
