#!/usr/bin/env node
// Entry of the `fashion-studio` command: runs the command line built by electron-vite.
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const cli = join(__dirname, '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  console.error('fashion-studio is not built yet: run `npm run setup` (or `npm run build`) first.')
  process.exit(1)
}
require(cli)
