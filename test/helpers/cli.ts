import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

const BIN = resolve('bin/fashion-studio.cjs')

/** Runs the built `fashion-studio` command; `onStderr` may act on progress (e.g. send SIGINT). */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv
    /** Working directory (default: the repository, like the tests). */
    cwd?: string
    onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void
  } = {}
): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      options.onStderr?.(stderr, (signal) => child.kill(signal))
    })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

/** The JSON object printed as the last line of stdout by --json. */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T
}
