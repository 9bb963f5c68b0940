// Small console helpers shared by the setup steps.
import { spawnSync } from 'node:child_process'

/** Runs one named setup step, printing its name and duration; a thrown error stops the setup. */
export async function step(name, fn) {
  const t0 = Date.now()
  console.log(`\n== ${name}`)
  try {
    const result = await fn()
    console.log(`   ${name}: done (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    return result
  } catch (err) {
    console.error(`\nSetup failed at "${name}": ${err instanceof Error ? err.message : err}`)
    process.exit(1)
  }
}

/** Prints a warning that stays visible at the end of the setup. */
export function warn(message) {
  console.warn(`\nWARNING: ${message}`)
}

/** Runs a command, inheriting stdio; throws with the command line when it fails. */
export function run(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...options })
  if (res.status !== 0) {
    throw new Error(`command failed (${res.status ?? res.signal}): ${cmd} ${args.join(' ')}`)
  }
}

/** Runs a command quietly and reports whether it succeeded, with its output. */
export function tryRun(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...options })
  return { ok: res.status === 0, output: `${res.stdout ?? ''}${res.stderr ?? ''}` }
}
