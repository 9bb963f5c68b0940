// Terminal progress for training, on stderr so that stdout stays clean for --json.
import { SingleBar } from 'cli-progress'
import type { EpochLogs } from '@shared/training'
import type { BatchProgress } from '../engine/worker/host'

export class TrainingProgress {
  private bar: SingleBar | undefined
  private readonly started = performance.now()

  constructor(private readonly epochs: number) {}

  batch(p: BatchProgress): void {
    if (!this.bar) {
      this.bar = new SingleBar(
        {
          stream: process.stderr,
          format:
            'Epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss} acc {acc} | left ~{left}',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: true,
          noTTYOutput: false,
          notTTYSchedule: 5000
        },
        undefined
      )
      this.bar.start(p.batches, 0, this.payload(p))
    }
    this.bar.update(p.batch, this.payload(p))
  }

  epoch(logs: EpochLogs): void {
    this.bar?.stop()
    this.bar = undefined
    process.stderr.write(
      `Epoch ${logs.epoch}/${this.epochs} - ${logs.seconds.toFixed(1)}s - loss: ${logs.loss.toFixed(4)} - accuracy: ${logs.accuracy.toFixed(4)} - val_loss: ${logs.val_loss.toFixed(4)} - val_accuracy: ${logs.val_accuracy.toFixed(4)}${logs.lr !== undefined ? ` - lr: ${logs.lr.toPrecision(3)}` : ''}${logs.test_accuracy !== undefined ? ` - test_accuracy: ${logs.test_accuracy.toFixed(4)}` : ''}\n`
    )
  }

  stop(): void {
    this.bar?.stop()
    this.bar = undefined
  }

  private payload(p: BatchProgress): Record<string, string | number> {
    const done = (p.epoch - 1 + p.batch / p.batches) / this.epochs
    const elapsed = (performance.now() - this.started) / 1000
    const left = done > 0 ? (elapsed * (1 - done)) / done : NaN
    return {
      epoch: p.epoch,
      epochs: this.epochs,
      loss: p.loss.toFixed(4),
      acc: p.accuracy.toFixed(4),
      left: Number.isFinite(left) ? `${Math.round(left)}s` : '?'
    }
  }
}
