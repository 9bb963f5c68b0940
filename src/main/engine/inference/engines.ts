// The inference engines a loaded model can run on, behind one interface for serving and folder
// classification: tfjs-node in the training worker (the default, what trains the models) or
// onnxruntime-node in a worker of its own, on the model's ONNX export built in memory. Both give
// the same outputs (within float rounding); onnxruntime is much faster on small batches.
import { randomBytes } from 'node:crypto'
import { onnxModelBytes } from '../export/export-model'
import type { LoadedModel } from '../models/model-dir'
import type { TrainingHost } from '../worker/host'
import { OrtHost } from './ort-host'

export const ENGINES = ['tfjs', 'onnx'] as const
export type EngineName = (typeof ENGINES)[number]

export interface Predictor {
  engine: EngineName
  /** Model outputs (count x classes, row-major) for 28x28 images, uint8 (0..255) or float (0..1). */
  predict(images: Uint8Array | Float32Array): Promise<Float32Array>
  /** Frees the model (tfjs) or stops the engine's worker (onnx). */
  close(): Promise<void>
}

export class EngineLoadError extends Error {
  constructor(engine: EngineName, reason: string) {
    super(`cannot run the model on the ${engine} engine: ${reason}`)
    this.name = 'EngineLoadError'
  }
}

export interface OpenPredictorOptions {
  engine: EngineName
  model: LoadedModel
  /** The training worker's host; required for tfjs (which keeps the model loaded in it). */
  host?: TrainingHost
  /** Tests and benchmarks: the built onnxruntime worker file. */
  ortWorkerFile?: string
}

/**
 * Loads the model into the engine, so every problem shows at start rather than on the first
 * request: for onnx, a model the ONNX exporter cannot convert (ExportError: the layer or file at
 * fault) or that onnxruntime refuses, as an EngineLoadError naming the reason.
 */
export async function openPredictor(o: OpenPredictorOptions): Promise<Predictor> {
  if (!(ENGINES as readonly string[]).includes(o.engine)) {
    throw new Error(`unknown engine "${String(o.engine)}" (available: ${ENGINES.join(', ')})`)
  }
  if (o.engine === 'tfjs') {
    const host = o.host
    if (!host) throw new Error('the tfjs engine needs the training worker host')
    const key = `model:${randomBytes(6).toString('hex')}`
    await host.loadModel(key, o.model.artifacts)
    return {
      engine: 'tfjs',
      predict: (images) => host.predictLoaded(key, images),
      close: () => host.unloadModel(key)
    }
  }
  const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err))
  let built: Awaited<ReturnType<typeof onnxModelBytes>>
  try {
    built = await onnxModelBytes(o.model.dir)
  } catch (err) {
    throw new EngineLoadError('onnx', `its ONNX export failed: ${reason(err)}`)
  }
  const ort = new OrtHost(built.bytes, built.contract.input.shape.slice(1) as number[], {
    workerFile: o.ortWorkerFile
  })
  try {
    await ort.load()
  } catch (err) {
    await ort.close()
    throw new EngineLoadError('onnx', `onnxruntime: ${reason(err)}`)
  }
  return {
    engine: 'onnx',
    predict: (images) => ort.predict(images),
    close: () => ort.close()
  }
}
