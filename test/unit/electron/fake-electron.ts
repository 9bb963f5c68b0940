// A stand-in for the `electron` module (the binary cannot run in the tests): it records what the
// main-process code registers, so the tests can fire the events and call the handlers themselves.
// Used as `vi.mock('electron', () => import('./fake-electron'))`.
import { vi } from 'vitest'

type Listener = (...args: unknown[]) => unknown

class Emitter {
  readonly listeners = new Map<string, Listener[]>()
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
    return this
  }
  once(event: string, listener: Listener): this {
    return this.on(event, listener)
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args)
  }
  count(event: string): number {
    return this.listeners.get(event)?.length ?? 0
  }
}

/** An Electron-style event: `url` for navigation events, and a recorded preventDefault. */
export function fakeEvent(url = ''): { url: string; preventDefault: ReturnType<typeof vi.fn> } {
  return { url, preventDefault: vi.fn() }
}

export class FakeWebContents extends Emitter {
  url = ''
  destroyed = false
  readonly sent: [string, unknown][] = []
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler
  }
  getURL(): string {
    return this.url
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload])
  }
}

export class BrowserWindow extends Emitter {
  static windows: BrowserWindow[] = []
  static getAllWindows(): BrowserWindow[] {
    return [...BrowserWindow.windows]
  }
  readonly webContents = new FakeWebContents()
  loaded: { url: string } | { file: string } | undefined
  destroyed = false
  readonly show = vi.fn()
  constructor(readonly options: Record<string, unknown>) {
    super()
    BrowserWindow.windows.push(this)
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { url }
    return Promise.resolve()
  }
  loadFile(file: string): Promise<void> {
    this.loaded = { file }
    return Promise.resolve()
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
}

export const shell = {
  openExternal: vi.fn<(url: string) => Promise<void>>(() => Promise.resolve())
}

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>

export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle(channel: string, handler: Handler): void {
    // Like Electron: a second handler for one channel is an error.
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`)
    this.handlers.set(channel, handler)
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }
}

/** A session recording its handlers. */
export class FakeSession extends Emitter {
  permissionRequest: Listener | undefined
  permissionCheck: Listener | undefined
  devicePermission: Listener | undefined
  beforeRequest: Listener | undefined
  headersReceived: Listener | undefined
  readonly webRequest = {
    onBeforeRequest: (listener: Listener) => void (this.beforeRequest = listener),
    onHeadersReceived: (listener: Listener) => void (this.headersReceived = listener)
  }
  setPermissionRequestHandler(handler: Listener): void {
    this.permissionRequest = handler
  }
  setPermissionCheckHandler(handler: Listener): void {
    this.permissionCheck = handler
  }
  setDevicePermissionHandler(handler: Listener): void {
    this.devicePermission = handler
  }
}

export class FakeApp extends Emitter {}

export const session = { defaultSession: new FakeSession() }
export const app = new FakeApp()

export function resetFakes(): void {
  BrowserWindow.windows = []
  ipcMain.handlers.clear()
  shell.openExternal.mockClear()
}
