// Helpers shared by the benchmark scripts.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The JSON object a command printed as its last line of stdout. */
export function lastJson(text) {
  const lines = text.trim().split('\n')
  return JSON.parse(lines[lines.length - 1])
}

/** Rows of cells as aligned columns. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  return rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ')).join('\n')
}

/**
 * `fashion-studio train ARGS --json` into a temporary folder (removed after); its JSON result.
 * `env` adds environment variables (FASHION_STUDIO_EAGER_STEPS=1 for the eager steps).
 */
export function train(args, env = {}) {
  const out = mkdtempSync(join(tmpdir(), 'fs-bench-'))
  try {
    const res = spawnSync(
      process.execPath,
      ['bin/fashion-studio.cjs', 'train', ...args, '--out', join(out, 'model'), '--json'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 << 20,
        env: { ...process.env, ...env }
      }
    )
    if (res.status !== 0) {
      throw new Error(`fashion-studio train ${args.join(' ')} failed (${res.status})`)
    }
    return lastJson(res.stdout)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}
