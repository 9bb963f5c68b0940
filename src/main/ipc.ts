// The only main-process file that imports ipcMain: one handler per channel of the contract, each
// checking that the call comes from our own renderer.
import { ipcMain } from 'electron'
import type { IpcMainInvokeEvent } from 'electron'
import type { TrainingHost } from './engine/worker/host'

/** Only frames loaded from our own bundle (file://) or the dev server may call the API. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? ''
  return (
    url.startsWith('file://') ||
    (!!process.env.ELECTRON_RENDERER_URL && url.startsWith(process.env.ELECTRON_RENDERER_URL))
  )
}

export function registerIpcHandlers(host: TrainingHost): void {
  ipcMain.handle('engine:get-backend', async (event) => {
    if (!trustedSender(event)) throw new Error('untrusted sender')
    return host.backend()
  })
}
