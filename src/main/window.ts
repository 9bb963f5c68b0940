// The main window, and the guards every web contents gets: no navigation away from the app, no new
// windows, no <webview>, and only plain https links handed to the user's browser.
import { BrowserWindow, shell } from 'electron'
import type { WebContents, WebPreferences } from 'electron'

/** The renderer's settings from Electron's security guide; see each line for why. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    // The preload's world and the page's are separate, so the page only sees what contextBridge
    // exposes (window.api), never ipcRenderer or Node.
    contextIsolation: true,
    // A sandboxed renderer is an ordinary Chromium process; the preload then gets only a small
    // subset of Node (and must be CommonJS, which electron-vite builds it as).
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    // Dropping a file on the window would otherwise navigate to it.
    navigateOnDragDrop: false,
    // Chromium's spellchecker downloads dictionaries from Google on Windows and Linux: remote content
    // the app does not need.
    spellcheck: false
  }
}

/** True for a URL that may be given to the operating system: https, a host, and no credentials. */
export function isSafeExternalUrl(raw: string): boolean {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  // shell.openExternal hands the string to the OS, which opens file:, smb: (NTLM leaks on Windows),
  // custom app protocols and javascript: alike; only a plain https page is harmless. Credentials in
  // the URL are a phishing trick (https://bank.com@evil.example/).
  return url.protocol === 'https:' && url.hostname !== '' && !url.username && !url.password
}

const guarded = new WeakSet<WebContents>()

/** Installs the navigation guards on `contents` once; `isAppUrl` says which pages are the app's. */
export function guardWebContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  if (guarded.has(contents)) return
  guarded.add(contents)

  // will-navigate fires for navigations the page starts (links, location changes, form posts), not
  // for our own loadURL/loadFile; a reload of our own page must still work.
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault()
  })

  // window.open and target="_blank" never create an Electron window (it would inherit nothing of
  // ours and could load anything). A safe https link opens in the user's browser instead, with the
  // re-serialised URL rather than the page's raw string.
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) {
      shell.openExternal(new URL(url).href).catch((err: unknown) => console.error(err))
    }
    return { action: 'deny' }
  })

  // webviewTag: false already disables <webview>; refusing the attachment as well covers a page
  // that re-enables it through a bug, as the security guide recommends.
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

export interface MainWindowOptions {
  /** The built preload script (out/preload/index.js). */
  preloadPath: string
  /** The dev server's URL in development, else the built index.html. */
  load: { url: string } | { file: string }
  isAppUrl(url: string): boolean
  /** Window icon (used by Linux; Windows and macOS take it from the installed app). */
  icon?: string
}

export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    // Shown on ready-to-show, so the user never sees an empty white frame while Vue starts.
    show: false,
    title: 'Fashion Studio',
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: secureWebPreferences(opts.preloadPath)
  })
  guardWebContents(win.webContents, opts.isAppUrl)
  win.once('ready-to-show', () => win.show())
  const loaded = 'url' in opts.load ? win.loadURL(opts.load.url) : win.loadFile(opts.load.file)
  // A failed load (a missing build, the dev server gone) leaves a blank window: say why in the log.
  loaded.catch((err: unknown) => console.error('Fashion Studio: the window could not load', err))
  return win
}
