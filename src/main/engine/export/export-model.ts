// Exports a model directory to the wider ecosystem: a Keras 3 `.keras` file, an ONNX model, or a
// tfjs layers folder, each carrying the preprocessing contract. The command line (`export`) and the
// studio's model view call this; it needs no TensorFlow, so it runs on the calling thread.
import { version } from '../../../../package.json'
import { buildContract, type ExportContract } from './contract'
import { ExportError } from './errors'
import { kerasFile } from './keras-file'
import { onnxFile } from './onnx-file'
import { publishFile, publishFolder } from './publish'
import { readSourceModel } from './source-model'
import { tfjsFiles } from './tfjs-files'

export const EXPORT_FORMATS = ['keras', 'onnx', 'tfjs'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface ExportOptions {
  /** A model directory (model.json + weights.bin, metadata.json when present). */
  modelDir: string
  format: ExportFormat
  /** The file to write (a folder for tfjs); Keras 3 only loads names ending in .keras. */
  out: string
  /** Replace an existing `out` (default: refuse). */
  overwrite?: boolean
}

export interface ExportResult {
  out: string
  /** Size of what was written (both files for tfjs). */
  bytes: number
  format: ExportFormat
  contract: ExportContract
}

/** Writes the export atomically; ExportError (naming the file or layer) on bad input. */
export async function exportModel(options: ExportOptions): Promise<ExportResult> {
  const { format, out } = options
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ExportError(
      `unknown export format "${String(format)}" (available: ${EXPORT_FORMATS.join(', ')})`
    )
  }
  if (format === 'keras' && !out.endsWith('.keras')) {
    throw new ExportError(
      `${out}: a Keras file must be named *.keras (keras.models.load_model requires it)`
    )
  }
  const source = await readSourceModel(options.modelDir)
  const contract = buildContract(source.graph, source.metadata)
  const overwrite = options.overwrite ?? false
  let bytes: number
  switch (format) {
    case 'keras':
      bytes = await publishFile(out, await kerasFile(source.graph, contract), overwrite)
      break
    case 'onnx':
      bytes = await publishFile(out, onnxFile(source.graph, contract, version), overwrite)
      break
    case 'tfjs':
      bytes = await publishFolder(out, tfjsFiles(source, contract), overwrite)
      break
  }
  return { out, bytes, format, contract }
}

/**
 * A model directory as ONNX bytes in memory, with its contract, without writing anything: what the
 * onnxruntime inference engine loads (model directories are never modified). ExportError names the
 * file or layer the ONNX exporter cannot convert.
 */
export async function onnxModelBytes(
  modelDir: string
): Promise<{ bytes: Uint8Array; contract: ExportContract }> {
  const source = await readSourceModel(modelDir)
  const contract = buildContract(source.graph, source.metadata)
  return { bytes: onnxFile(source.graph, contract, version), contract }
}
