// Loads TensorFlow inside the worker: native tfjs-node when it loads, otherwise the WebAssembly
// backend with a warning that the host passes on to the user. Only the worker calls this: tfjs-node
// is loaded by one thread per process (upstream reports "Module did not self-register" otherwise).
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import type { BackendInfo } from './protocol'

export type Tf = typeof TF

// require, not import(): these are CommonJS packages, and an ES namespace of them lacks the exports
// that cjs-module-lexer cannot see (tf.layers, tf.losses, ...).
const require = createRequire(import.meta.url)

/** Loads the best available backend and describes it. FASHION_STUDIO_BACKEND=wasm forces the fallback. */
export async function loadBackend(): Promise<{ tf: Tf; info: BackendInfo }> {
  let warning: string | undefined
  if (process.env.FASHION_STUDIO_BACKEND !== 'wasm') {
    try {
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'
      const tf = require('@tensorflow/tfjs-node') as Tf
      await tf.ready()
      return { tf, info: { name: tf.getBackend(), native: true, tfjsVersion: tf.version_core } }
    } catch (err) {
      warning = `native TensorFlow (@tensorflow/tfjs-node) failed to load, so training runs on the slower WebAssembly backend: ${firstLine(err)}. Run \`npm run setup\` to build it.`
    }
  } else {
    warning =
      'FASHION_STUDIO_BACKEND=wasm: running on the slower WebAssembly backend, not native TensorFlow.'
  }
  const tf = require('@tensorflow/tfjs') as Tf
  const wasm =
    require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
  const wasmDir = dirname(
    require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')
  )
  wasm.setWasmPaths(`${wasmDir}/`)
  await tf.setBackend('wasm')
  await tf.ready()
  return {
    tf,
    info: { name: tf.getBackend(), native: false, tfjsVersion: tf.version_core, warning }
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error'
}
