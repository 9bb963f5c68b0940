import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  STUDIO_CHANNELS,
  type StudioChannel,
  type StudioEvent,
  type StudioEvents,
  type TrainingState
} from '@shared/studio-api'
import { registerIpcHandlers, type StudioBackend } from '../../../src/main/ipc'
import type { TrainingHost } from '../../../src/main/engine/worker/host'
import { StudioService } from '../../../src/main/studio/studio-service'
import { BrowserWindow, ipcMain, resetFakes } from './fake-electron'

vi.mock('electron', () => import('./fake-electron'))

const APP_URL = 'file:///opt/fashion-studio/out/renderer/index.html'
const isTrustedUrl = (url: string): boolean => url === APP_URL

/** A service that records calls and lets the test emit its events. */
class FakeService implements StudioBackend {
  readonly call = vi.fn(async (channel: StudioChannel, args: unknown) => ({ channel, args }))
  readonly listeners = new Map<StudioEvent, Set<(payload: unknown) => void>>()
  on<E extends StudioEvent>(event: E, listener: (payload: StudioEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set()
    this.listeners.set(event, set)
    const l = listener as (payload: unknown) => void
    set.add(l)
    return () => set.delete(l)
  }
  emit<E extends StudioEvent>(event: E, payload: StudioEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) l(payload)
  }
}

function invoke(
  channel: string,
  args: unknown,
  senderUrl: string | null = APP_URL
): Promise<unknown> {
  const handler = ipcMain.handlers.get(channel)
  if (!handler) throw new Error(`no handler for ${channel}`)
  const senderFrame = senderUrl === null ? null : { url: senderUrl }
  return handler({ senderFrame }, args)
}

beforeEach(resetFakes)

describe('registerIpcHandlers', () => {
  it('registers a handler for every channel of the contract, and only those', () => {
    registerIpcHandlers(new FakeService(), { isTrustedUrl })
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...STUDIO_CHANNELS].sort())
  })

  it.each([
    ['another origin', 'https://evil.example/'],
    ['a file outside the app', 'file:///tmp/evil.html'],
    ['no URL', ''],
    ['a destroyed frame', null]
  ])('rejects a call from %s without calling the service', async (_what, url) => {
    const service = new FakeService()
    registerIpcHandlers(service, { isTrustedUrl })
    await expect(invoke('models:list', {}, url)).rejects.toThrow('untrusted sender')
    expect(service.call).not.toHaveBeenCalled()
  })

  it('passes the arguments of a trusted call to the service and returns its result', async () => {
    const service = new FakeService()
    registerIpcHandlers(service, { isTrustedUrl })
    const args = { modelId: 'm1', trueClass: 0, predictedClass: 6 }
    await expect(invoke('models:get-cell', args)).resolves.toEqual({
      channel: 'models:get-cell',
      args
    })
    expect(service.call).toHaveBeenCalledExactlyOnceWith('models:get-cell', args)
  })

  it('turns whatever the service throws into an Error carrying its message', async () => {
    const service = new FakeService()
    service.call.mockRejectedValueOnce('worker crashed')
    registerIpcHandlers(service, { isTrustedUrl })
    const err: unknown = await invoke('training:get-state', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toBe('worker crashed')
  })

  it('removes its handlers and listeners when disposed, and may be registered again', () => {
    const service = new FakeService()
    const dispose = registerIpcHandlers(service, { isTrustedUrl })
    dispose()
    dispose()
    expect(ipcMain.handlers.size).toBe(0)
    expect(service.listeners.get('training:state')?.size).toBe(0)
    expect(() => registerIpcHandlers(service, { isTrustedUrl })).not.toThrow()
  })
})

describe('with the real StudioService', () => {
  // Arguments are validated before anything touches the worker or the dataset: no host is needed.
  let dir = ''
  let service: StudioService
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipc-test-'))
    service = new StudioService({ workspace: dir, dataDir: dir, host: {} as TrainingHost })
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it.each([
    [
      'datasets:get-images',
      { datasetId: 'fashion-mnist', split: 'train', label: null, offset: 0, limit: 0 },
      'datasets:get-images: invalid limit'
    ],
    [
      'models:get-cell',
      { modelId: 'm1', trueClass: 10, predictedClass: 0 },
      'models:get-cell: invalid trueClass'
    ],
    ['training:cancel', { jobId: 'j', extra: 1 }, 'training:cancel: invalid arguments'],
    ['models:get', 'not an object', 'models:get: invalid arguments']
  ])('gives the zod message for bad arguments of %s', async (channel, args, message) => {
    registerIpcHandlers(service, { isTrustedUrl })
    const err: unknown = await invoke(channel, args).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toContain(message)
  })
})

describe('events', () => {
  const state = { jobId: 'job-1', status: 'training' } as TrainingState

  function window(url: string): BrowserWindow {
    const win = new BrowserWindow({})
    win.webContents.url = url
    return win
  }

  it('go to every window showing the app, and no other', () => {
    const service = new FakeService()
    registerIpcHandlers(service, { isTrustedUrl })
    const app = window(APP_URL)
    const second = window(APP_URL)
    const elsewhere = window('https://evil.example/')
    const closed = window(APP_URL)
    closed.webContents.destroyed = true
    service.emit('training:state', state)
    expect(app.webContents.sent).toEqual([['training:state', state]])
    expect(second.webContents.sent).toEqual([['training:state', state]])
    expect(elsewhere.webContents.sent).toEqual([])
    expect(closed.webContents.sent).toEqual([])
  })

  it('stop when disposed', () => {
    const service = new FakeService()
    const dispose = registerIpcHandlers(service, { isTrustedUrl })
    const app = window(APP_URL)
    dispose()
    service.emit('training:state', state)
    expect(app.webContents.sent).toEqual([])
  })
})
