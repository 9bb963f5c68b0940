// Exposes one typed `api` object to the renderer through contextBridge; never ipcRenderer itself.
// Only the contract's channels and events pass: anything else is refused here, and main checks the
// sender and validates every argument again.
import { contextBridge, ipcRenderer } from 'electron'
import type { IpcRendererEvent } from 'electron'
import {
  isStudioChannel,
  STUDIO_EVENTS,
  type StudioApi,
  type StudioEvent
} from '../shared/studio-api'

const api: StudioApi = {
  call: (channel, args) => {
    if (!isStudioChannel(channel))
      return Promise.reject(new Error(`unknown channel ${String(channel)}`))
    return ipcRenderer.invoke(channel, args)
  },
  on: (event, listener) => {
    if (!STUDIO_EVENTS.includes(event as StudioEvent)) throw new Error(`unknown event ${event}`)
    const wrapped = (_e: IpcRendererEvent, payload: unknown): void =>
      (listener as (p: unknown) => void)(payload)
    ipcRenderer.on(event, wrapped)
    return () => ipcRenderer.removeListener(event, wrapped)
  }
}

contextBridge.exposeInMainWorld('api', api)
