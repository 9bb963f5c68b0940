// Checkpoints of the best epoch so far, for runs with early stopping: the tfjs model files of the
// best weights, replaced atomically at each new best, so a cancelled, crashed or killed run still
// leaves its best model behind. A run that finishes removes its checkpoint (the model directory
// then holds those weights).
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelArtifacts } from '../worker/protocol'
import { MODEL_FILES, writeDurably } from './model-dir'

export class CheckpointWriter {
  private writing: Promise<void> = Promise.resolve()
  private written = false

  constructor(readonly dir: string) {}

  /** Queues a checkpoint write (writes never overlap; a failure is reported, not thrown later). */
  save(epoch: number, artifacts: ModelArtifacts): void {
    this.writing = this.writing
      .then(() => this.write(epoch, artifacts))
      .catch((err: unknown) => {
        process.stderr.write(`could not write the checkpoint in ${this.dir}: ${String(err)}\n`)
      })
  }

  /** Whether a checkpoint was written (after pending writes finish). */
  async hasCheckpoint(): Promise<boolean> {
    await this.writing
    return this.written
  }

  async remove(): Promise<void> {
    await this.writing
    await rm(this.dir, { recursive: true, force: true })
  }

  private async write(epoch: number, artifacts: ModelArtifacts): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const tmp = join(this.dir, `.best.partial-${randomBytes(4).toString('hex')}`)
    await mkdir(tmp)
    try {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: 'fashion-studio checkpoint',
        convertedBy: null,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }],
        userDefinedMetadata: { epoch }
      }
      await writeDurably(join(tmp, MODEL_FILES.topology), JSON.stringify(modelJson))
      await writeDurably(join(tmp, MODEL_FILES.weights), new Uint8Array(artifacts.weightData))
      // Swap in: the old best goes away only once the new one is complete.
      await rm(join(this.dir, 'best'), { recursive: true, force: true })
      await rename(tmp, join(this.dir, 'best'))
      this.written = true
    } catch (err) {
      await rm(tmp, { recursive: true, force: true })
      throw err
    }
  }
}
