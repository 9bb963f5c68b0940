// model.weights.h5 of a `.keras` file, written with h5wasm (the HDF5 C library compiled to
// WebAssembly) in Keras 3's layout: layers/<snake_case class>[_n]/vars/0, 1, ... per layer, each
// `vars` group carrying the layer's name, and a top-level `vars` group for the model itself.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { layerWeights, type ModelGraph } from './graph'
import { kerasWeightPaths } from './keras-config'

type H5wasm = typeof import('h5wasm/node')
let loading: Promise<H5wasm> | undefined

/** h5wasm's Node build, loaded once. */
function loadH5wasm(): Promise<H5wasm> {
  loading ??= (async () => {
    // In Electron's main process a global `navigator` makes Emscripten's start-up take it for a
    // browser and refuse to run; h5wasm's README hides it while the module initialises.
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator')
    if (saved?.configurable) {
      Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true })
    }
    try {
      // An ES module only; import() keeps it loadable from the CommonJS build too.
      const h5wasm = await import('h5wasm/node')
      await h5wasm.ready
      return h5wasm
    } finally {
      if (saved?.configurable) Object.defineProperty(globalThis, 'navigator', saved)
    }
  })()
  return loading
}

/** The HDF5 file's bytes. */
export async function kerasWeightsH5(graph: ModelGraph): Promise<Uint8Array> {
  const h5wasm = await loadH5wasm()
  // The Node build of h5wasm reads and writes the real file system (NODERAWFS): a private temporary
  // folder keeps concurrent exports apart.
  const dir = await mkdtemp(join(tmpdir(), 'fashion-studio-h5-'))
  try {
    const path = join(dir, 'model.weights.h5')
    const file = new h5wasm.File(path, 'w')
    try {
      file.create_group('vars').create_attribute('name', graph.name)
      const layers = file.create_group('layers')
      const paths = kerasWeightPaths(graph)
      graph.layers.forEach((layer, i) => {
        const group = layers.create_group((paths[i] as string).slice('layers/'.length))
        const vars = group.create_group('vars')
        vars.create_attribute('name', layer.name)
        layerWeights(layer).forEach((w, j) => {
          vars.create_dataset({ name: String(j), data: w.data, shape: w.shape, dtype: '<f' })
        })
      })
    } finally {
      file.close()
    }
    return new Uint8Array(await readFile(path))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
