// The only main-process file that imports ipcMain. One handler per channel of the contract: each
// checks that the call comes from the app's own page, then hands the untrusted arguments to the
// service, which validates them with the contract's zod schema. Service events go to every window
// showing the app.
import { BrowserWindow, ipcMain } from 'electron'
import {
  STUDIO_CHANNELS,
  STUDIO_EVENTS,
  type StudioChannel,
  type StudioEvent,
  type StudioEvents
} from '@shared/studio-api'

/** What the IPC layer needs of StudioService (src/main/studio/studio-service.ts). */
export interface StudioBackend {
  /** Validates `rawArgs` against the channel's schema (throwing a clear error) and runs the call. */
  call(channel: StudioChannel, rawArgs: unknown): Promise<unknown>
  on<E extends StudioEvent>(event: E, listener: (payload: StudioEvents[E]) => void): () => void
}

export interface IpcOptions {
  /** True for a URL of the app's own pages (the built renderer, or the dev server). */
  isTrustedUrl(url: string): boolean
}

/**
 * Electron passes only an error's message to the renderer (as "Error invoking remote method
 * '<channel>': Error: <message>"), so the message must say everything: for bad arguments it is the
 * service's zod description of the field and the problem.
 */
function plainError(err: unknown): Error {
  return new Error(err instanceof Error ? err.message : String(err))
}

/** Registers the handlers and the event forwarding; returns a function that removes them all. */
export function registerIpcHandlers(service: StudioBackend, options: IpcOptions): () => void {
  for (const channel of STUDIO_CHANNELS) {
    ipcMain.handle(channel, async (event, args: unknown) => {
      // The frame, not the web contents: an iframe (which the CSP should already stop) shares its
      // parent's web contents but has its own URL. senderFrame is null once the frame is gone.
      const url = event.senderFrame?.url ?? ''
      if (!options.isTrustedUrl(url)) throw new Error('untrusted sender')
      try {
        return await service.call(channel, args)
      } catch (err) {
        throw plainError(err)
      }
    })
  }

  const unsubscribe = STUDIO_EVENTS.map((name) =>
    service.on(name, (payload) => broadcast(name, payload, options))
  )

  let disposed = false
  return () => {
    if (disposed) return
    disposed = true
    for (const channel of STUDIO_CHANNELS) ipcMain.removeHandler(channel)
    for (const off of unsubscribe) off()
  }
}

function broadcast(event: StudioEvent, payload: unknown, options: IpcOptions): void {
  for (const win of BrowserWindow.getAllWindows()) {
    if (win.isDestroyed() || win.webContents.isDestroyed()) continue
    // A window that has somehow left the app (navigation is blocked, but be sure) gets nothing.
    if (!options.isTrustedUrl(win.webContents.getURL())) continue
    try {
      win.webContents.send(event, payload)
    } catch (err) {
      // A payload that cannot be cloned must not break the service's other listeners.
      console.error(`Fashion Studio: could not send ${event}`, err)
    }
  }
}
