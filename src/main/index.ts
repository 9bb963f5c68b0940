// Electron lifecycle only: one instance, the session's defences, the studio service on the training
// worker, the IPC handlers and the window; on quit, the IPC goes first and a running training job is
// cancelled and the worker stopped before the process exits.
import { app, BrowserWindow, dialog, session } from 'electron'
import { join } from 'node:path'
import { resolveDataDir } from './engine/data/fashion-mnist'
import { TrainingHost } from './engine/worker/host'
import { defaultWorkspace } from './engine/workspace'
import { registerIpcHandlers } from './ipc'
import {
  installSessionSecurity,
  installWebContentsGuard,
  isAppUrl,
  type AppOrigin
} from './security'
import { StudioService } from './studio/studio-service'
import { createMainWindow } from './window'

// out/main/index.js -> out/renderer, out/preload. The dev server only outside a packaged app, so an
// environment variable can never point an installed app at remote code.
const origin: AppOrigin = {
  rendererDir: join(__dirname, '../renderer'),
  devServerUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
}
const isTrustedUrl = (url: string): boolean => isAppUrl(origin, url)

let service: StudioService | undefined
let disposeIpc: (() => void) | undefined
let quitState: 'running' | 'closing' | 'closed' = 'running'

async function start(): Promise<void> {
  installSessionSecurity(session.defaultSession, origin)
  installWebContentsGuard(app, origin)
  // The same workspace as the command line (FASHION_STUDIO_WORKSPACE, else ~/FashionStudio), so
  // models trained with `fashion-studio train` appear in the studio and the other way round.
  const workspace = defaultWorkspace()
  const host = new TrainingHost({ workerFile: join(__dirname, 'training-worker.js') })
  service = new StudioService({
    workspace,
    dataDir: resolveDataDir({ workspace }),
    host,
    pickFolder: async (title) => {
      const options = { title, properties: ['openDirectory' as const] }
      const win = BrowserWindow.getFocusedWindow()
      const picked = win
        ? await dialog.showOpenDialog(win, options)
        : await dialog.showOpenDialog(options)
      return picked.canceled ? null : (picked.filePaths[0] ?? null)
    }
  })
  disposeIpc = registerIpcHandlers(service, { isTrustedUrl })
  createMainWindow({
    preloadPath: join(__dirname, '../preload/index.js'),
    load: origin.devServerUrl
      ? { url: origin.devServerUrl }
      : { file: join(origin.rendererDir, 'index.html') },
    isAppUrl: isTrustedUrl,
    // Linux shows this in the taskbar; the installers carry their own icons for Windows and macOS.
    icon: app.isPackaged
      ? join(process.resourcesPath, 'icon.png')
      : join(__dirname, '../../resources/icon.png')
  })
}

/** Stops taking calls, then cancels training and stops the worker (bounded, so quit never hangs). */
async function shutdown(): Promise<void> {
  disposeIpc?.()
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())
  await Promise.race([service?.close(), timeout]).catch((err: unknown) => console.error(err))
}

if (!app.requestSingleInstanceLock()) {
  // Two instances would share the workspace and each start a TensorFlow worker: focus the first.
  app.quit()
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0]
    if (win?.isMinimized()) win.restore()
    win?.focus()
  })
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      dialog.showErrorBox('Fashion Studio could not start', String(err))
      app.exit(1)
    })
}

// The studio is one window: closing it ends the app on every platform (macOS included), which also
// cancels a training run nobody could watch any more.
app.on('window-all-closed', () => app.quit())

// Electron does not wait for promises in before-quit: hold the quit, finish the shutdown, then quit
// again (the second time through, quitState lets it pass).
app.on('before-quit', (event) => {
  if (quitState === 'closed') return
  event.preventDefault()
  if (quitState === 'closing') return
  quitState = 'closing'
  void shutdown().finally(() => {
    quitState = 'closed'
    app.quit()
  })
})
