import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { App, Session } from 'electron'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import {
  CONTENT_SECURITY_POLICY,
  installSessionSecurity,
  installWebContentsGuard,
  isAllowedRequest,
  isAppUrl,
  type AppOrigin
} from '../../../src/main/security'
import { FakeApp, FakeSession, FakeWebContents, fakeEvent, resetFakes } from './fake-electron'

vi.mock('electron', () => import('./fake-electron'))

const rendererDir = resolve('/opt/fashion-studio/app.asar/out/renderer')
const appFile = (name: string): string => pathToFileURL(join(rendererDir, name)).href
const packaged: AppOrigin = { rendererDir }
const dev: AppOrigin = { rendererDir, devServerUrl: 'http://localhost:5173/' }

function secured(origin: AppOrigin = packaged): FakeSession {
  const session = new FakeSession()
  installSessionSecurity(session as unknown as Session, origin)
  return session
}

beforeEach(resetFakes)

describe('permissions', () => {
  it.each(['media', 'notifications', 'geolocation', 'openExternal', 'clipboard-read', 'unknown'])(
    'a request for %s is denied',
    (permission) => {
      const callback = vi.fn()
      secured().permissionRequest?.({}, permission, callback, {})
      expect(callback).toHaveBeenCalledExactlyOnceWith(false)
    }
  )

  it('permission checks and device permissions are denied', () => {
    const session = secured()
    expect(session.permissionCheck?.(null, 'clipboard-sanitized-write', 'file://', {})).toBe(false)
    expect(session.permissionCheck?.(null, 'media', 'http://localhost:5173', {})).toBe(false)
    expect(session.devicePermission?.({ deviceType: 'usb' })).toBe(false)
  })

  it('downloads are refused', () => {
    const event = fakeEvent()
    secured().emit('will-download', event)
    expect(event.preventDefault).toHaveBeenCalledOnce()
  })
})

describe('Content-Security-Policy', () => {
  it('is the app policy', () => {
    const directives = CONTENT_SECURITY_POLICY.split('; ')
    expect(directives).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'"
      ])
    )
    // Nothing may relax scripts.
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/)
  })

  it('is set on every response, replacing any policy of the server', () => {
    const callback = vi.fn()
    secured(dev).headersReceived?.(
      {
        url: 'http://localhost:5173/',
        responseHeaders: {
          'content-type': ['text/html'],
          'content-security-policy': ["default-src *; script-src * 'unsafe-eval'"]
        }
      },
      callback
    )
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: {
        'content-type': ['text/html'],
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY]
      }
    })
  })

  it('is set on file responses that carry no headers', () => {
    const callback = vi.fn()
    secured().headersReceived?.({ url: appFile('index.html') }, callback)
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] }
    })
  })
})

describe('requests', () => {
  const cancelled = (origin: AppOrigin, url: string): unknown => {
    const callback = vi.fn()
    secured(origin).beforeRequest?.({ url }, callback)
    return (callback.mock.calls[0]?.[0] as { cancel: boolean }).cancel
  }

  it("pass for the app's files and DevTools", () => {
    expect(cancelled(packaged, appFile('index.html'))).toBe(false)
    expect(cancelled(packaged, appFile('assets/index-abc123.js'))).toBe(false)
    expect(cancelled(packaged, 'devtools://devtools/bundled/devtools_app.html')).toBe(false)
    expect(cancelled(packaged, 'data:image/png;base64,iVBORw0KGgo=')).toBe(false)
  })

  it.each([
    'https://cdn.example.com/lib.js',
    'http://example.com/',
    'wss://example.com/socket',
    'ftp://example.com/x',
    'http://localhost:5173/src/main.ts',
    'not a url'
  ])('are cancelled when remote: %s', (url) => {
    expect(cancelled(packaged, url)).toBe(true)
  })

  it('are cancelled for files outside the renderer', () => {
    expect(cancelled(packaged, pathToFileURL(resolve('/etc/passwd')).href)).toBe(true)
    expect(cancelled(packaged, pathToFileURL(join(rendererDir, '../main/index.js')).href)).toBe(
      true
    )
  })

  it('pass for the dev server and its hot-reload socket in development, and no other port', () => {
    expect(isAllowedRequest(dev, 'http://localhost:5173/src/main.ts')).toBe(true)
    expect(isAllowedRequest(dev, 'ws://localhost:5173/')).toBe(true)
    expect(isAllowedRequest(dev, 'http://localhost:5174/')).toBe(false)
    expect(isAllowedRequest(dev, 'http://127.0.0.1:5173/')).toBe(false)
    expect(isAllowedRequest(dev, 'https://evil.example/')).toBe(false)
  })
})

describe('isAppUrl', () => {
  it("is true for the renderer's files and the dev server's origin only", () => {
    expect(isAppUrl(packaged, appFile('index.html'))).toBe(true)
    expect(isAppUrl(packaged, pathToFileURL(rendererDir).href)).toBe(false)
    expect(isAppUrl(packaged, 'file://server/share/index.html')).toBe(false)
    expect(isAppUrl(packaged, 'http://localhost:5173/')).toBe(false)
    expect(isAppUrl(dev, 'http://localhost:5173/#/train')).toBe(true)
    expect(isAppUrl(dev, 'ws://localhost:5173/')).toBe(false)
    expect(isAppUrl(packaged, '')).toBe(false)
  })
})

describe('installWebContentsGuard', () => {
  it('guards every web contents created later', () => {
    const app = new FakeApp()
    installWebContentsGuard(app as unknown as App, packaged)
    const contents = new FakeWebContents()
    app.emit('web-contents-created', fakeEvent(), contents)
    const away = fakeEvent('https://evil.example/')
    contents.emit('will-navigate', away)
    expect(away.preventDefault).toHaveBeenCalledOnce()
    const home = fakeEvent(appFile('index.html'))
    contents.emit('will-navigate', home)
    expect(home.preventDefault).not.toHaveBeenCalled()
    expect(contents.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
  })
})
