// Runs the training graph (training-graph.ts) in a TensorFlow session through tfjs-node's SavedModel
// binding: each training step is one session run, in which TensorFlow fuses kernels and may run
// independent ones at the same time. Weights stay inside the session between runs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tensor } from '@tensorflow/tfjs'
import type { Tf } from '../worker/backend'
import type { NetLayer, ParamSpec } from '../training/architecture'
import { dropoutMask } from '../training/layer-network'
import type { Batch, BatchSums, StepEngine } from '../training/step-engine'
import { DT_FLOAT } from '../training/precision'
import type { GraphBuilder } from './graph-builder'
import {
  buildTrainingGraph,
  type InferEndpoints,
  type TrainingGraphEndpoints
} from './training-graph'

/** The part of tfjs-node's backend that loads and runs SavedModel graphs. */
export interface SavedModelBackend {
  loadSavedModelMetaGraph(path: string, tags: string): number
  runSavedModel(
    id: number,
    inputs: Tensor[],
    infos: { name: string }[],
    outputs: string[]
  ): Tensor[]
  deleteSavedModel(id: number): void
  getNumOfSavedModels(): number
}

export function savedModelBackend(tf: Tf): SavedModelBackend {
  return tf.backend() as unknown as SavedModelBackend
}

export class GraphTrainer implements StepEngine {
  readonly specs: ParamSpec[]
  private readonly be: SavedModelBackend
  private readonly id: number
  private readonly endpoints: TrainingGraphEndpoints
  private readonly setInfos: { name: string }[]
  private readonly stepFeeds: { name: string }[]
  private readonly stepFetches: string[]
  /** Per dropout layer: its rate and the width of its input, for drawing masks. */
  private readonly dropouts: { rate: number; width: number }[]
  private iterations = 0
  private disposed = false

  constructor(
    private readonly tf: Tf,
    layers: NetLayer[],
    initial: Tensor[],
    computeDtype: number = DT_FLOAT
  ) {
    const built = buildTrainingGraph(layers, computeDtype)
    this.specs = built.specs
    this.endpoints = built.endpoints
    this.be = savedModelBackend(tf)
    // Everything that can refuse the input comes before the session exists.
    this.checkWeights(initial)
    this.dropouts = dropoutWidths(layers)
    this.setInfos = this.endpoints.set.map((name) => ({ name }))
    const st = this.endpoints.step
    this.stepFeeds = [st.x, st.y, st.labels, st.lr, st.beta1Power, st.beta2Power, ...st.masks].map(
      (name) => ({ name })
    )
    this.stepFetches = [st.lossSum, st.correct]
    this.id = loadGraph(this.be, built.graph)
    try {
      this.runDone(initial, this.endpoints.init)
    } catch (e) {
      this.dispose()
      throw e
    }
  }

  step(batch: Batch, learningRate: number, random: () => number): BatchSums {
    const tf = this.tf
    const n = batch.x.shape[0]!
    this.iterations++
    // Drawn in layer order after the batch's augmentation, as the eager steps draw them.
    const masks = this.dropouts.map((d) =>
      tf.tensor2d(dropoutMask(n * d.width, d.rate, random), [n, d.width])
    )
    const scalars = [
      tf.scalar(learningRate),
      tf.scalar(0.9 ** this.iterations),
      tf.scalar(0.999 ** this.iterations)
    ]
    try {
      const [lossSum, correct] = this.be.runSavedModel(
        this.id,
        [batch.x, batch.y, batch.labels, ...scalars, ...masks],
        this.stepFeeds,
        this.stepFetches
      )
      return { lossSum: lossSum!, correct: correct! }
    } finally {
      tf.dispose([...scalars, ...masks])
    }
  }

  inferSums(batch: Batch, float32: boolean): BatchSums {
    const e: InferEndpoints = float32 ? this.endpoints.infer32 : this.endpoints.infer
    const [lossSum, correct] = this.be.runSavedModel(
      this.id,
      [batch.x, batch.y, batch.labels],
      [{ name: e.x }, { name: e.y }, { name: e.labels }],
      [e.lossSum, e.correct]
    )
    return { lossSum: lossSum!, correct: correct! }
  }

  /** Current weights in ParamSpec order (new tensors; dispose them). */
  read(): Tensor[] {
    return this.be.runSavedModel(this.id, [], [], this.endpoints.read)
  }

  /** Replaces the weights (not Adam's moments): restoring the best epoch. */
  assign(values: Tensor[]): void {
    this.runDone(values, this.endpoints.assign)
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.be.deleteSavedModel(this.id)
  }

  private runDone(values: Tensor[], fetch: string): void {
    this.checkWeights(values)
    this.tf.dispose(this.be.runSavedModel(this.id, values, this.setInfos, [fetch]))
  }

  /**
   * The session would take a tensor of any shape and resize the variable (AssignVariableOp does not
   * validate shapes), failing later in some kernel with a confusing message; refuse it here.
   */
  private checkWeights(values: Tensor[]): void {
    if (values.length !== this.specs.length) {
      throw new Error(`expected ${this.specs.length} weight tensors, got ${values.length}`)
    }
    values.forEach((v, i) => {
      const want = this.specs[i]!.shape
      if (v.shape.length !== want.length || v.shape.some((d, k) => d !== want[k])) {
        throw new Error(
          `weight ${i} (${this.specs[i]!.role} of layer ${this.specs[i]!.layer}) has shape [${v.shape.join(', ')}], expected [${want.join(', ')}]`
        )
      }
    })
  }
}

/**
 * Opens a graph in a new TensorFlow session and returns the session's id. tfjs-node loads graphs only
 * as SavedModel directories, so the graph goes through a temporary one, removed whatever happens.
 */
export function loadGraph(be: SavedModelBackend, graph: GraphBuilder): number {
  const dir = mkdtempSync(join(tmpdir(), 'fashion-studio-graph-'))
  try {
    graph.writeSavedModel(dir)
    return be.loadSavedModelMetaGraph(dir, 'serve')
  } finally {
    // Best effort: a file held open elsewhere (a virus scanner on Windows) must not fail a
    // training whose session is already loaded, nor lose the session's id.
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    } catch {
      // left in the temporary folder
    }
  }
}

/** Rate and input width of each dropout layer (each comes before a dense layer). */
function dropoutWidths(layers: NetLayer[]): { rate: number; width: number }[] {
  return layers.flatMap((l, i) => {
    if (l.kind !== 'dropout') return []
    const next = layers[i + 1]
    if (next?.kind !== 'dense') throw new Error('a dropout layer must come before a dense layer')
    return [{ rate: l.rate, width: next.inputs }]
  })
}
