// A Python virtualenv with Keras 3 on TensorFlow 2.21, onnx and onnxruntime: the real consumers that the
// export tests (test/integration/export*.test.ts) load our exported .keras and .onnx files with.
//
// Default location: $FASHION_STUDIO_KERAS_VENV, else <cache>/keras-venv with the cache of the native
// TensorFlow step ($FASHION_STUDIO_CACHE, default ~/.cache/fashion-studio), so a fresh clone on the
// same machine reuses it. A venv that already imports every package is left alone (seconds); one that
// is missing or broken is (re)filled with pip. --retries 0: pip's index here is local, and a package
// it cannot find should fail at once instead of retrying for minutes.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { run, tryRun } from './log.mjs'

const PACKAGES = ['tensorflow-cpu==2.21.0', 'keras', 'h5py', 'onnx', 'onnxruntime']
const IMPORTS = 'import tensorflow, keras, h5py, onnx, onnxruntime'

/** Where the venv is (the tests compute the same path, see test/helpers/keras-venv.ts). */
export function kerasVenvDir() {
  if (process.env.FASHION_STUDIO_KERAS_VENV) return resolve(process.env.FASHION_STUDIO_KERAS_VENV)
  const cache = resolve(
    process.env.FASHION_STUDIO_CACHE ?? join(homedir(), '.cache/fashion-studio')
  )
  return join(cache, 'keras-venv')
}

function venvPython(dir) {
  return process.platform === 'win32'
    ? join(dir, 'Scripts', 'python.exe')
    : join(dir, 'bin', 'python')
}

function importsAll(python) {
  return (
    existsSync(python) &&
    tryRun(python, ['-c', IMPORTS], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } }).ok
  )
}

export async function ensureKerasVenv() {
  const dir = kerasVenvDir()
  const python = venvPython(dir)
  if (importsAll(python)) {
    console.log(`   ${dir} already has ${PACKAGES.join(', ')}`)
    return 'ok'
  }
  if (!existsSync(python)) {
    const system = process.platform === 'win32' ? 'python' : 'python3'
    console.log(`   creating ${dir} ...`)
    run(system, ['-m', 'venv', dir])
  }
  console.log(`   pip install ${PACKAGES.join(' ')} (first time: a few minutes) ...`)
  // Output captured: pip's warnings about the machine's index configuration would bury the setup's
  // own lines; they are shown when the install fails.
  const pip = tryRun(python, ['-m', 'pip', 'install', '-q', '--retries', '0', ...PACKAGES], {
    maxBuffer: 64 << 20
  })
  if (!pip.ok) {
    throw new Error(
      `pip install failed in ${dir}:\n${pip.output.trim().split('\n').slice(-25).join('\n')}`
    )
  }
  if (!importsAll(python)) throw new Error(`${dir}: "${IMPORTS}" still fails after pip install`)
  return 'ok'
}
