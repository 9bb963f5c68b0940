// Messages between OrtHost (main thread) and the onnxruntime worker. ONNX Runtime's session.run()
// occupies the thread that calls it for the whole run, so it lives in its own worker_threads worker
// and the HTTP server's event loop (or the photo decoder) stays free. One worker holds one model.

export type OrtRequest =
  | {
      type: 'load'
      jobId: string
      /** The serialised ONNX ModelProto (built in memory by the exporter). */
      model: Uint8Array
      /** The model input's shape without the batch dimension: [784] flat, or [28, 28, 1] NHWC. */
      inputShape: number[]
      intraOpThreads: number
    }
  | {
      type: 'predict'
      jobId: string
      /** 28x28 images: uint8 pixels (0..255), or float32 already scaled to 0..1. */
      images: Uint8Array | Float32Array
    }

export type OrtEvent =
  | { type: 'ready'; version: string }
  | { type: 'loaded'; jobId: string }
  /** Row-major count x classes: what the model outputs (probabilities for a softmax model). */
  | { type: 'predicted'; jobId: string; probabilities: Float32Array }
  | { type: 'error'; jobId?: string; message: string }
