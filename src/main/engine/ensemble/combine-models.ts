// Existing models combined into one that averages their probabilities, evaluated on the test set and
// saved as a model directory: the one code path behind `fashion-studio ensemble` and the studio's
// "Create ensemble". Every check runs before the test set is predicted, so a bad choice costs
// nothing and writes nothing.
import { existsSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { IMAGE_PIXELS } from '@shared/classes'
import type { FashionMnist } from '../data/fashion-mnist'
import { runExperiment, type ExperimentOptions, type ExperimentResult } from '../experiment'
import { ModelDirError, readModelDir, type LoadedModel } from '../models/model-dir'
import type { TrainingHost } from '../worker/host'
import { EnsembleError, ensembleArtifacts } from './ensemble-model'
import { concatHistories } from './train-ensemble'

export interface CombineModelsOptions {
  host: TrainingHost
  /** The members' model directories: at least 2, each once. */
  memberDirs: string[]
  dataDir: string
  /** The dataset already in memory (the studio keeps it loaded); read from dataDir otherwise. */
  data?: FashionMnist
  /** Folder that receives the new model directory (a unique name is chosen inside it)… */
  modelsDir: string
  /** …unless an exact output directory is given (never overwritten). */
  outDir?: string
  onStage?: ExperimentOptions['onStage']
}

export interface CombinedModel extends ExperimentResult {
  members: LoadedModel[]
}

/** Reads and checks the members, then builds, evaluates and saves their ensemble. */
export async function combineModels(o: CombineModelsOptions): Promise<CombinedModel> {
  if (o.memberDirs.length < 2) throw new EnsembleError('an ensemble needs at least 2 models')
  const seen = new Set<string>()
  for (const dir of o.memberDirs) {
    const key = resolve(dir)
    if (seen.has(key))
      throw new EnsembleError(`${basename(dir)} is chosen twice: choose each model once`)
    seen.add(key)
  }
  if (o.outDir && existsSync(o.outDir)) {
    throw new ModelDirError(o.outDir, 'already exists; models are never overwritten')
  }
  const members = await Promise.all(o.memberDirs.map((d) => readModelDir(d)))
  checkMembers(members)
  const result = await runExperiment({
    host: o.host,
    config: members[0]!.metadata.config,
    dataDir: o.dataDir,
    data: o.data,
    modelsDir: o.modelsDir,
    outDir: o.outDir,
    presetLabel: 'ensemble',
    members: members.map((m) => ({
      id: m.metadata.id || basename(m.dir),
      preset: m.metadata.preset,
      testAccuracy: m.metadata.metrics.testAccuracy
    })),
    onStage: o.onStage,
    produce: () =>
      Promise.resolve({
        artifacts: ensembleArtifacts(members.map((m) => m.artifacts)),
        history: concatHistories(members.map((m) => m.history)),
        trainSeconds: members.reduce((n, m) => n + m.metadata.timings.trainSeconds, 0)
      })
  })
  return { ...result, members }
}

/**
 * Members must be single models reading the same input and naming the same classes in the same
 * order: averaging probabilities of different classes would give a model that is silently wrong.
 * An ensemble is refused as a member (not flattened): its members can be chosen instead, and the
 * average then weighs every model equally.
 */
function checkMembers(members: LoadedModel[]): void {
  const first = members[0]!
  for (const m of members) {
    const name = basename(m.dir)
    const kind = (m.artifacts.modelTopology as { class_name?: string }).class_name
    if (m.metadata.members || kind !== 'Sequential') {
      const count = m.metadata.members ? ` of ${m.metadata.members.length} models` : ''
      throw new EnsembleError(
        `${name} is itself an ensemble${count}: choose its members instead (ensembles are made of single models)`
      )
    }
    const shape = m.metadata.input.shape
    if (shape.length !== 1 || shape[0] !== IMAGE_PIXELS) {
      throw new EnsembleError(
        `${name} reads input of shape [${shape.join(', ')}], not [${IMAGE_PIXELS}] (28x28 grey pixels)`
      )
    }
    const classes = m.metadata.classes
    const differs = classes.findIndex((c, i) => c !== first.metadata.classes[i])
    if (differs >= 0) {
      throw new EnsembleError(
        `${name} names class ${differs} "${classes[differs]}" where ${basename(first.dir)} names it "${first.metadata.classes[differs]}": members must predict the same classes in the same order`
      )
    }
  }
}
