// Entry of the onnxruntime worker (worker_threads): loads onnxruntime-node, holds one inference
// session and answers one request at a time, in order. Inputs are scaled from uint8 here exactly as
// the TensorFlow worker does (v / 255 in float32), so both engines see the same numbers.
import { createRequire } from 'node:module'
import { parentPort, type MessagePort } from 'node:worker_threads'
import type * as Ort from 'onnxruntime-node'
import { IMAGE_PIXELS } from '@shared/classes'
import type { OrtEvent, OrtRequest } from './ort-protocol'
import { unitPixels } from '../data/unit-pixels'

const port = parentPort as MessagePort
const post = (e: OrtEvent, transfer: ArrayBuffer[] = []): void => port.postMessage(e, transfer)
// require, not import(): onnxruntime-node is CommonJS with a native addon, kept out of the bundle.
const require = createRequire(import.meta.url)

let ort: typeof Ort
try {
  ort = require('onnxruntime-node') as typeof Ort
  post({ type: 'ready', version: ort.env.versions.common ?? 'unknown' })
} catch (err) {
  post({
    type: 'error',
    message: `onnxruntime-node failed to load: ${err instanceof Error ? err.message : String(err)}`
  })
  process.exit(1)
}

let session: Ort.InferenceSession | undefined
let inputShape: number[] = [IMAGE_PIXELS]
let queue: Promise<void> = Promise.resolve()

port.on('message', (req: OrtRequest) => {
  queue = queue
    .then(() => handle(req))
    .catch((err: unknown) => {
      post({
        type: 'error',
        jobId: req.jobId,
        message: err instanceof Error ? err.message : String(err)
      })
    })
})

async function handle(req: OrtRequest): Promise<void> {
  if (req.type === 'load') {
    if (req.inputShape.reduce((a, b) => a * b, 1) !== IMAGE_PIXELS) {
      throw new Error(
        `the model's input [${req.inputShape.join(', ')}] is not one 28x28 image (${IMAGE_PIXELS} values)`
      )
    }
    const created = await ort.InferenceSession.create(req.model, {
      intraOpNumThreads: req.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all'
    })
    await session?.release()
    session = created
    inputShape = req.inputShape
    return post({ type: 'loaded', jobId: req.jobId })
  }
  if (!session) throw new Error('predict: no model loaded in the onnxruntime worker')
  const count = req.images.length / IMAGE_PIXELS
  if (!Number.isInteger(count)) {
    throw new Error(`predict: ${req.images.length} values is not a whole number of 28x28 images`)
  }
  const px = req.images instanceof Float32Array ? req.images : unitPixels(req.images)
  const input = new ort.Tensor('float32', px, [count, ...inputShape])
  const out = await session.run({ [session.inputNames[0]!]: input })
  const result = out[session.outputNames[0]!]!
  // A copy we own, so its buffer can be transferred rather than cloned.
  const probabilities = Float32Array.from(result.data as Float32Array)
  input.dispose()
  result.dispose()
  post({ type: 'predicted', jobId: req.jobId, probabilities }, [
    probabilities.buffer as ArrayBuffer
  ])
}
