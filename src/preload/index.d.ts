import type { StudioApi } from '../shared/studio-api'

declare global {
  interface Window {
    /** Set by the preload inside Electron; absent in browser mode (the bridge client is used). */
    api?: StudioApi
  }
}

export type { StudioApi }
