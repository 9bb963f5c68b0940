// The end-to-end tests drive the real renderer in Debian's Chromium (playwright-core cannot download
// its own browser offline). Installed where apt exists and we are root; elsewhere a warning.
import { existsSync } from 'node:fs'
import { tryRun } from './log.mjs'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function ensureBrowser() {
  if (existsSync(CHROMIUM)) return 'ok'
  if (process.platform === 'linux' && existsSync('/usr/bin/apt-get') && process.getuid?.() === 0) {
    console.log('   installing Debian package chromium ...')
    tryRun('apt-get', ['update', '-qq'])
    const res = tryRun('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-dejavu-core'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    })
    if (res.ok && existsSync(CHROMIUM)) return 'ok'
  }
  return `No Chromium at ${CHROMIUM}: the browser end-to-end tests will fail. Install chromium or set CHROMIUM_PATH.`
}
