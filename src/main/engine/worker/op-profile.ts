// FASHION_STUDIO_PROFILE_OPS=1: time every TensorFlow kernel call of the worker and print the totals
// per kernel when a training ends. Eager kernels run synchronously on the calling thread, so the time
// of each call is the kernel's own time plus dispatch. This is how the time per training step was
// broken down when making the convolutional presets faster (see conv-ops.ts). A graph step
// (graph/graph-trainer.ts) runs all its kernels inside one call, listed as "graph run: <first
// fetch>"; for per-kernel times, profile the eager steps (FASHION_STUDIO_EAGER_STEPS=1).
interface Executing {
  executeSingleOutput(name: string, ...rest: unknown[]): unknown
  executeMultipleOutputs(name: string, ...rest: unknown[]): unknown
  runSavedModel(id: number, inputs: unknown, infos: unknown, outputs: string[]): unknown
}

const totals = new Map<string, { ms: number; calls: number }>()

export function installOpProfile(backend: unknown): void {
  const be = backend as Executing
  for (const method of ['executeSingleOutput', 'executeMultipleOutputs'] as const) {
    const original = be[method].bind(be)
    be[method] = (name: string, ...rest: unknown[]) => timed(name, () => original(name, ...rest))
  }
  const run = be.runSavedModel.bind(be)
  be.runSavedModel = (id, inputs, infos, outputs) =>
    timed(`graph run: ${outputs[0] ?? ''}`, () => run(id, inputs, infos, outputs))
}

function timed<T>(name: string, call: () => T): T {
  const t0 = performance.now()
  try {
    return call()
  } finally {
    const t = totals.get(name) ?? { ms: 0, calls: 0 }
    t.ms += performance.now() - t0
    t.calls++
    totals.set(name, t)
  }
}

/** The totals so far, slowest first, as text; resets them. */
export function takeOpProfile(): string {
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms)
  const all = rows.reduce((n, [, t]) => n + t.ms, 0)
  totals.clear()
  return rows
    .map(
      ([name, t]) =>
        `${name.padEnd(42)} ${(t.ms / 1000).toFixed(2).padStart(8)} s ${((100 * t.ms) / all).toFixed(1).padStart(5)}% ${String(t.calls).padStart(9)} calls`
    )
    .join('\n')
}
