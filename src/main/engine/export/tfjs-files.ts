// The tfjs export: the same layers model (any tfjs tool loads it), as a folder with model.json and
// one weights.bin, and the preprocessing contract in model.json's userDefinedMetadata.
import type { ExportContract } from './contract'
import type { SourceModel } from './source-model'

export const TFJS_FILES = { topology: 'model.json', weights: 'weights.bin' } as const

/** The folder's files by name. */
export function tfjsFiles(
  source: SourceModel,
  contract: ExportContract
): Record<string, Uint8Array> {
  const modelJson = {
    modelTopology: source.modelTopology,
    format: 'layers-model',
    generatedBy: 'fashion-studio',
    convertedBy: null,
    weightsManifest: [{ paths: [TFJS_FILES.weights], weights: source.weightSpecs }],
    userDefinedMetadata: { fashion_studio: contract }
  }
  return {
    [TFJS_FILES.topology]: new TextEncoder().encode(JSON.stringify(modelJson)),
    [TFJS_FILES.weights]: source.weightData
  }
}
