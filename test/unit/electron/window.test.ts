import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { WebContents } from 'electron'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { isAppUrl, type AppOrigin } from '../../../src/main/security'
import {
  createMainWindow,
  guardWebContents,
  isSafeExternalUrl,
  secureWebPreferences
} from '../../../src/main/window'
import { BrowserWindow, FakeWebContents, fakeEvent, resetFakes, shell } from './fake-electron'

vi.mock('electron', () => import('./fake-electron'))

const rendererDir = resolve('/opt/fashion-studio/app.asar/out/renderer')
const indexHtml = join(rendererDir, 'index.html')
const origin: AppOrigin = { rendererDir }

function openWindow(o: AppOrigin = origin): BrowserWindow {
  createMainWindow({
    preloadPath: '/opt/fashion-studio/out/preload/index.js',
    load: o.devServerUrl ? { url: o.devServerUrl } : { file: indexHtml },
    isAppUrl: (url) => isAppUrl(o, url)
  })
  const win = BrowserWindow.windows.at(-1)
  if (!win) throw new Error('no window created')
  return win
}

/** Fires will-navigate and says whether the window let it happen. */
function navigates(win: BrowserWindow, url: string): boolean {
  const event = fakeEvent(url)
  win.webContents.emit('will-navigate', event)
  return event.preventDefault.mock.calls.length === 0
}

beforeEach(resetFakes)

describe('window options', () => {
  it('are exactly the secure web preferences', () => {
    expect(secureWebPreferences('/p/index.js')).toEqual({
      preload: '/p/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false
    })
  })

  it('are what the main window is created with, hidden until ready', () => {
    const win = openWindow()
    expect(win.options.webPreferences).toEqual(
      secureWebPreferences('/opt/fashion-studio/out/preload/index.js')
    )
    expect(win.options.show).toBe(false)
    expect(win.show).not.toHaveBeenCalled()
    win.emit('ready-to-show')
    expect(win.show).toHaveBeenCalledOnce()
  })

  it('loads the built index.html, or the dev server in development', () => {
    expect(openWindow().loaded).toEqual({ file: indexHtml })
    const dev = openWindow({ rendererDir, devServerUrl: 'http://localhost:5173' })
    expect(dev.loaded).toEqual({ url: 'http://localhost:5173' })
  })
})

describe('navigation', () => {
  it("is allowed to the app's own page only", () => {
    const win = openWindow()
    expect(navigates(win, pathToFileURL(indexHtml).href)).toBe(true)
    expect(navigates(win, `${pathToFileURL(indexHtml).href}#/models`)).toBe(true)
    expect(navigates(win, 'https://evil.example/')).toBe(false)
    expect(navigates(win, 'http://localhost:5173/')).toBe(false)
    expect(navigates(win, pathToFileURL(resolve('/etc/passwd')).href)).toBe(false)
    // A sibling folder whose name starts like the renderer's is not inside it.
    expect(navigates(win, pathToFileURL(`${rendererDir}-evil/index.html`).href)).toBe(false)
    expect(navigates(win, 'not a url')).toBe(false)
  })

  it("is allowed to the dev server's origin in development, and nowhere else", () => {
    const win = openWindow({ rendererDir, devServerUrl: 'http://localhost:5173' })
    expect(navigates(win, 'http://localhost:5173/')).toBe(true)
    expect(navigates(win, 'http://localhost:5174/')).toBe(false)
    expect(navigates(win, 'https://localhost:5173/')).toBe(false)
    expect(navigates(win, 'https://evil.example/')).toBe(false)
  })

  it('refuses to attach a <webview>', () => {
    const event = fakeEvent()
    openWindow().webContents.emit('will-attach-webview', event)
    expect(event.preventDefault).toHaveBeenCalledOnce()
  })
})

describe('window.open', () => {
  const open = (url: string): { action: string } | undefined =>
    openWindow().webContents.windowOpenHandler?.({ url })

  it('is always denied; a plain https URL goes to the browser', () => {
    expect(open('https://github.com/zalandoresearch/fashion-mnist')).toEqual({ action: 'deny' })
    expect(shell.openExternal).toHaveBeenCalledExactlyOnceWith(
      'https://github.com/zalandoresearch/fashion-mnist'
    )
  })

  it.each([
    'javascript:alert(1)',
    'file:///etc/passwd',
    'file:///C:/Windows/System32/calc.exe',
    'http://example.com/',
    'smb://attacker.example/share',
    '\\\\attacker.example\\share',
    'ms-settings:',
    'data:text/html,<script>alert(1)</script>',
    'https://',
    'not a url',
    '',
    'https://user:secret@example.com/',
    'https://bank.example@evil.example/'
  ])('is denied and never reaches the OS: %s', (url) => {
    expect(open(url)).toEqual({ action: 'deny' })
    expect(shell.openExternal).not.toHaveBeenCalled()
  })

  it('hands the OS the parsed URL, not the raw string', () => {
    open('  https://EXAMPLE.com/a b  ')
    expect(shell.openExternal).toHaveBeenCalledExactlyOnceWith('https://example.com/a%20b')
  })

  it('isSafeExternalUrl accepts https with a host and no credentials only', () => {
    expect(isSafeExternalUrl('https://example.com/path?q=1#x')).toBe(true)
    expect(isSafeExternalUrl('HTTPS://example.com')).toBe(true)
    expect(isSafeExternalUrl('https://:pw@example.com')).toBe(false)
    expect(isSafeExternalUrl('http://example.com')).toBe(false)
  })
})

describe('guardWebContents', () => {
  it('installs its guards once per web contents', () => {
    const contents = new FakeWebContents()
    const guard = (): void => guardWebContents(contents as unknown as WebContents, () => false)
    guard()
    guard()
    expect(contents.count('will-navigate')).toBe(1)
    expect(contents.count('will-attach-webview')).toBe(1)
    expect(contents.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({
      action: 'deny'
    })
  })
})
