// Messages between the TrainingHost (main thread) and the training worker, which alone loads
// TensorFlow. Tensors never cross: pixels, labels and weights travel as typed arrays (transferred,
// not copied, where the sender no longer needs them). Every job-scoped message carries its jobId.
import type { EpochLogs, TrainConfig } from '@shared/training'

/** Which TensorFlow backend the worker runs on; `native` is false for the WebAssembly fallback. */
export interface BackendInfo {
  name: string
  native: boolean
  tfjsVersion: string
  /** Set when the worker fell back from native TensorFlow, with the reason. */
  warning?: string
}

/** A tfjs layers model in memory: the content of model.json plus the concatenated weights. */
export interface ModelArtifacts {
  modelTopology: unknown
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[]
  weightData: ArrayBuffer
}

export interface TrainResult {
  artifacts: ModelArtifacts
  history: EpochLogs[]
  trainSeconds: number
}

export interface PredictResult {
  /** Row-major count x numClasses probabilities. */
  probabilities: Float32Array
}

export type WorkerRequest =
  | {
      type: 'train'
      jobId: string
      config: TrainConfig
      /** count x 784 pixels, 0..255, the training images (the validation split is taken in the worker). */
      images: Uint8Array
      labels: Uint8Array
      /** Int32 flag set to 1 by the host to cancel: read between batches while the loop runs. */
      cancelFlag: SharedArrayBuffer
      /** Minimum milliseconds between two batch events. */
      progressIntervalMs: number
      /**
       * Weights to start from (fine-tuning), as one flat vector in the order a model's weights.bin
       * stores them (per layer: kernel, bias; batch norm: gamma, beta, moving mean, moving
       * variance); a fresh Keras-style initialisation from config.seed when absent.
       */
      initialWeights?: Float32Array
      /** Test images to evaluate at every epoch end (benchmarks: time to reach an accuracy). */
      test?: { images: Uint8Array; labels: Uint8Array }
    }
  | {
      type: 'predict'
      jobId: string
      /** A model loaded earlier with 'load-model', or one to load for this request only. */
      model: { key: string } | { artifacts: ModelArtifacts }
      /** 28x28 images: uint8 pixels (0..255), or float32 already scaled to 0..1. */
      images: Uint8Array | Float32Array
      /** Test-time augmentation: average with the prediction for the left-right mirrored image. */
      tta?: boolean
    }
  | { type: 'load-model'; jobId: string; key: string; artifacts: ModelArtifacts }
  | { type: 'unload-model'; jobId: string; key: string }
  | { type: 'memory'; jobId: string }

export type WorkerEvent =
  | { type: 'ready'; backend: BackendInfo }
  | {
      type: 'batch'
      jobId: string
      epoch: number
      batch: number
      batches: number
      loss: number
      accuracy: number
    }
  | { type: 'epoch'; jobId: string; logs: EpochLogs; numTensors: number }
  /** The best epoch so far (lowest validation loss) as a model: a checkpoint to keep. */
  | { type: 'checkpoint'; jobId: string; epoch: number; artifacts: ModelArtifacts }
  | { type: 'trained'; jobId: string; result: TrainResult }
  | { type: 'predicted'; jobId: string; result: PredictResult }
  | { type: 'memory'; jobId: string; numTensors: number; numBytes: number }
  | { type: 'model-loaded'; jobId: string }
  | { type: 'model-unloaded'; jobId: string }
  | { type: 'cancelled'; jobId: string }
  | { type: 'error'; jobId?: string; message: string }
