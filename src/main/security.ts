// Session-wide defences from Electron's security guide: no permissions, a Content-Security-Policy on
// every response, no remote content, and the per-window guards applied to every web contents that
// is ever created (not only the main window's).
import { fileURLToPath } from 'node:url'
import { isAbsolute, relative } from 'node:path'
import type { App, Session } from 'electron'
import { guardWebContents } from './window'

/** Where the app's own pages come from. */
export interface AppOrigin {
  /** The built renderer folder (out/renderer, inside app.asar when packaged). */
  rendererDir: string
  /** electron-vite's dev server (ELECTRON_RENDERER_URL) in development; undefined otherwise. */
  devServerUrl?: string
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Vue's transitions and the chart library set inline styles; scripts stay strictly 'self'.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/** True for a file: URL naming a file inside `dir`. */
function isFileInside(url: URL, dir: string): boolean {
  let path: string
  try {
    // fileURLToPath throws for file URLs with a host on POSIX (file://server/x), which are never ours.
    path = fileURLToPath(url)
  } catch {
    return false
  }
  // path.relative compares case-insensitively on Windows, where drive letters vary in case.
  const rel = relative(dir, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}

/** True for the app's own pages: files of the built renderer, or the dev server's origin. */
export function isAppUrl(origin: AppOrigin, url: string): boolean {
  const u = parse(url)
  if (!u) return false
  if (u.protocol === 'file:') return isFileInside(u, origin.rendererDir)
  const dev = origin.devServerUrl ? parse(origin.devServerUrl) : null
  return !!dev && u.origin === dev.origin
}

/**
 * True for a request the renderer may make: its own files, DevTools, inline data, and in development
 * the dev server (including Vite's hot-reload websocket on the same host). Everything else, in
 * particular anything remote, is cancelled.
 */
export function isAllowedRequest(origin: AppOrigin, url: string): boolean {
  const u = parse(url)
  if (!u) return false
  if (u.protocol === 'file:') return isFileInside(u, origin.rendererDir)
  if (['devtools:', 'data:', 'blob:'].includes(u.protocol)) return true
  const dev = origin.devServerUrl ? parse(origin.devServerUrl) : null
  if (!dev) return false
  const socket = dev.protocol === 'https:' ? 'wss:' : 'ws:'
  return u.host === dev.host && (u.protocol === dev.protocol || u.protocol === socket)
}

export function installSessionSecurity(session: Session, origin: AppOrigin): void {
  // Electron grants every permission by default; the studio needs none (camera, notifications,
  // geolocation, clipboard reads, ...). The request handler answers prompts, the check handler
  // answers synchronous queries such as navigator.permissions, and devices (USB, HID, serial) have
  // a handler of their own.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler(() => false)

  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(origin, details.url) })
  })

  // The header, not only the <meta> tag in index.html: a header also covers frame-ancestors and
  // cannot be removed by script. Older Electron versions did not run this hook for file:// at all,
  // which is why the renderer keeps its <meta> policy too.
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string[]> = {}
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      // Header names are case-insensitive: drop any policy of the server's so ours is the only one.
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value
    }
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY]
    callback({ responseHeaders: headers })
  })

  // The renderer never downloads files (models and data are written by the main process).
  session.on('will-download', (event) => event.preventDefault())
}

/**
 * Applies the navigation, new-window and webview guards to every web contents as it is created, so
 * that one created by something other than createMainWindow (DevTools, a future window) has them
 * too. guardWebContents ignores contents it has already guarded.
 */
export function installWebContentsGuard(app: App, origin: AppOrigin): void {
  app.on('web-contents-created', (_event, contents) =>
    guardWebContents(contents, (url) => isAppUrl(origin, url))
  )
}
