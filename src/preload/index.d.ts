/** What the renderer may call (window.api); grows with the studio. */
export interface StudioApi {
  engine: {
    getBackend(): Promise<{ name: string; native: boolean; tfjsVersion: string; warning?: string }>
  }
}

declare global {
  interface Window {
    api: StudioApi
  }
}
