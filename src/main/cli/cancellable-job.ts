import { TrainingCancelledError, TrainingHost } from '../engine/worker/host'

export interface CancellableJob {
  host: TrainingHost
  /** Hand the running job's cancel function here; Ctrl-C calls it. */
  onCancelReady(cancel: () => void): void
}

/**
 * Runs a training-like job from the command line: its own worker, Ctrl-C cancels the job (a second
 * Ctrl-C quits at once), a cancelled job exits 130 saying no model was written, the worker is
 * always stopped.
 */
export async function runCancellableJob(
  what: string,
  progress: { stop(): void },
  run: (job: CancellableJob) => Promise<void>
): Promise<void> {
  const host = new TrainingHost()
  let cancel: (() => void) | undefined
  let interrupts = 0
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130)
    progress.stop()
    process.stderr.write('\ncancelling (Ctrl-C again to quit at once)...\n')
    cancel?.()
  }
  process.on('SIGINT', onSigint)
  try {
    await run({ host, onCancelReady: (c) => (cancel = c) })
  } catch (err) {
    progress.stop()
    if (err instanceof TrainingCancelledError) {
      process.stderr.write(`${what} cancelled; no model was written\n`)
      process.exitCode = 130
      return
    }
    throw err
  } finally {
    process.off('SIGINT', onSigint)
    await host.close()
  }
}
