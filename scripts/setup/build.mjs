// Builds the app, the command line and the training worker (electron-vite), so that
// `npx fashion-studio` runs from the repo root right after setup.
import { run } from './log.mjs'

export async function buildApp() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  run(npm, ['run', 'build:only'], { shell: process.platform === 'win32' })
}
