// Exposes one typed `api` object to the renderer; never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron'
import type { StudioApi } from './index.d'

const api: StudioApi = {
  engine: {
    getBackend: () => ipcRenderer.invoke('engine:get-backend')
  }
}

contextBridge.exposeInMainWorld('api', api)
