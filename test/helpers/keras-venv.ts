// The Python virtualenv with Keras 3 / TensorFlow 2.21, onnx and onnxruntime that `npm run setup`
// creates (scripts/setup/keras-venv.mjs, which computes the same path). The export tests need it and
// fail, rather than skip, without it: a skipped consumer check would look like a passing one.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export function kerasVenvDir(): string {
  if (process.env.FASHION_STUDIO_KERAS_VENV) return resolve(process.env.FASHION_STUDIO_KERAS_VENV)
  const cache = resolve(
    process.env.FASHION_STUDIO_CACHE ?? join(homedir(), '.cache/fashion-studio')
  )
  return join(cache, 'keras-venv')
}

/** The venv's python; throws with what to do when the venv is missing. */
export function kerasVenvPython(): string {
  const dir = kerasVenvDir()
  const python =
    process.platform === 'win32' ? join(dir, 'Scripts', 'python.exe') : join(dir, 'bin', 'python')
  if (!existsSync(python)) {
    throw new Error(
      `The Keras virtualenv is missing (${python}). Run \`npm run setup\` to create it (or set FASHION_STUDIO_KERAS_VENV to an existing one with tensorflow-cpu 2.21, keras, onnx, onnxruntime).`
    )
  }
  return python
}

/** Runs a script of test/python/ with the venv's python; rejects with its stderr on failure. */
export function runPython(script: string, args: string[]): Promise<string> {
  const python = kerasVenvPython()
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, [resolve('test/python', script), ...args], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolvePromise(stdout)
        : reject(new Error(`${script} exited with ${code}:\n${stderr.slice(-4000)}`))
    )
  })
}
