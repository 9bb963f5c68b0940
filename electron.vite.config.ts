import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Native and heavy packages stay external: tfjs-node's addon is located by node-pre-gyp at run time,
// which breaks when bundled; sharp loads its own platform package; onnxruntime-node loads its addon
// from bin/napi-v6/<platform>/<arch>/ relative to its own files.
const external = [
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  'sharp',
  'onnxruntime-node'
]

export default defineConfig({
  main: {
    resolve: { alias: { '@shared': resolve('src/shared') } },
    build: {
      externalizeDeps: true,
      rollupOptions: {
        external,
        // The CLI and the two workers (TensorFlow, onnxruntime) are built beside the Electron entry
        // so that all of them share one copy of the engine and find each other in out/main/.
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/index.ts'),
          'training-worker': resolve('src/main/engine/worker/worker.ts'),
          'onnx-worker': resolve('src/main/engine/inference/ort-worker.ts')
        }
      }
    }
  },
  preload: {
    resolve: { alias: { '@shared': resolve('src/shared') } },
    build: { externalizeDeps: true }
  },
  renderer: {
    resolve: {
      alias: { '@renderer': resolve('src/renderer/src'), '@shared': resolve('src/shared') }
    },
    plugins: [vue()]
  }
})
