// Electron's own install script downloads the Electron binary. Where that is impossible (offline
// machines, CI sandboxes) the package stays installed without it: everything but the desktop window
// works except the desktop window.
import { existsSync, readFileSync } from 'node:fs'
import { tryRun } from './log.mjs'

export async function ensureElectronBinary() {
  const pathFile = 'node_modules/electron/path.txt'
  if (
    existsSync(pathFile) &&
    existsSync(`node_modules/electron/dist/${readFileSync(pathFile, 'utf8')}`)
  ) {
    return 'ok'
  }
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    return 'ELECTRON_SKIP_BINARY_DOWNLOAD is set: the Electron binary was not downloaded, so `npm start` cannot open the desktop window.'
  }
  console.log('   downloading the Electron binary ...')
  const res = tryRun(process.execPath, ['node_modules/electron/install.js'], { timeout: 180_000 })
  if (res.ok) return 'ok'
  const lines = res.output.split('\n').map((l) => l.trim())
  const reason = lines.find((l) => /Error/.test(l) && !l.startsWith('at ')) ?? 'unknown error'
  return `The Electron binary could not be downloaded (${reason}). The Electron package is installed without it: builds, tests and the command line work, but \`npm start\` cannot open the desktop window on this machine. Rerun \`npm run setup\` with internet access to get it.`
}
