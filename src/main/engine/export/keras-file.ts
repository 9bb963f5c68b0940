// A Keras 3 `.keras` file: a zip of config.json, metadata.json and model.weights.h5, stored without
// compression as Keras itself writes it. Our preprocessing contract rides in metadata.json under
// "fashion_studio" (Keras writes that file and never reads it back, so extra keys are safe).
import { strToU8, zipSync } from 'fflate'
import type { ExportContract } from './contract'
import type { ModelGraph } from './graph'
import { kerasConfig } from './keras-config'
import { kerasWeightsH5 } from './keras-weights'

/** The Keras version whose file layout we write (load_model reads it from 3.0 on). */
export const KERAS_FORMAT_VERSION = '3.15.1'

/** The bytes of the .keras zip. */
export async function kerasFile(graph: ModelGraph, contract: ExportContract): Promise<Uint8Array> {
  const metadata = {
    keras_version: KERAS_FORMAT_VERSION,
    date_saved: kerasDate(new Date()),
    fashion_studio: contract
  }
  return zipSync(
    {
      'metadata.json': strToU8(JSON.stringify(metadata, null, 2)),
      'config.json': strToU8(JSON.stringify(kerasConfig(graph))),
      'model.weights.h5': await kerasWeightsH5(graph)
    },
    { level: 0 }
  )
}

/** Keras's own date format: 2026-11-25@17:13:52. */
function kerasDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', '@')
}
