#!/usr/bin/env node
// One command sets up a fresh clone: npm packages, native TensorFlow for tfjs-node, the Electron
// package (binary where it can be downloaded), Fashion-MNIST, and a build of the app and command line.
// Every step checks first whether it is already done, so running this twice is quick and harmless.
import { installNpmPackages } from './setup/npm-packages.mjs'
import { ensureNativeTensorflow } from './setup/native-tensorflow.mjs'
import { ensureElectronBinary } from './setup/electron-binary.mjs'
import { ensureDataset } from './setup/dataset.mjs'
import { ensureBrowser } from './setup/browser.mjs'
import { buildApp } from './setup/build.mjs'
import { ensureKerasVenv } from './setup/keras-venv.mjs'
import { step, warn } from './setup/log.mjs'

const started = Date.now()
const warnings = []

await step('npm packages', installNpmPackages)
await step('native TensorFlow for @tensorflow/tfjs-node', ensureNativeTensorflow)
const electron = await step('Electron', ensureElectronBinary)
if (electron !== 'ok') warnings.push(electron)
const data = await step('Fashion-MNIST', ensureDataset)
if (data !== 'ok') warnings.push(data)
const browser = await step('Chromium for the browser tests', ensureBrowser)
if (browser !== 'ok') warnings.push(browser)
// Keras 3 / TensorFlow / onnx / onnxruntime in a virtualenv: the export tests check our .keras and
// .onnx files in the real consumers.
const venv = await step('Keras virtualenv for the export checks', ensureKerasVenv)
if (typeof venv === 'string' && venv !== 'ok') warnings.push(venv)
await step('build (electron-vite)', buildApp)

for (const w of warnings) warn(w)
console.log(
  `\nSetup done in ${((Date.now() - started) / 1000).toFixed(0)} s. Try: npx fashion-studio --help`
)
