// npm packages, installed with their install scripts off (.npmrc): the two packages whose scripts
// download binaries get their own steps, which can fall back when the download is impossible.
import { existsSync } from 'node:fs'
import { run } from './log.mjs'

export async function installNpmPackages() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  // `npm ci` when a lockfile exists: reproducible, and fast when node_modules already matches.
  const args = existsSync('package-lock.json') ? ['ci', '--no-audit', '--no-fund'] : ['install']
  if (existsSync('node_modules/.package-lock.json') && existsSync('package-lock.json')) {
    // Already installed from this lockfile: npm install only fixes differences, far quicker than ci.
    args.splice(0, args.length, 'install', '--no-audit', '--no-fund')
  }
  run(npm, args, { shell: process.platform === 'win32' })
}
