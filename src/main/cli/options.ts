import { InvalidArgumentError, Option } from 'commander'
import { join } from 'node:path'
import { ENGINES } from '../engine/inference/engines'
import { downloadFashionMnist } from '../engine/data/download'
import { missingFiles, resolveDataDir } from '../engine/data/fashion-mnist'
import { defaultWorkspace } from '../engine/workspace'

/** Commander parser for whole numbers, with the flag's own bounds in the message. */
export function intOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected a whole number from ${min} to ${max}, got "${value}"`
      )
    }
    return n
  }
}

/** Commander parser for decimal numbers within bounds. */
export function numberOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got "${value}"`)
    }
    return n
  }
}

/** Commander parser for a comma-separated list of whole numbers ("128,64"); `allowEmpty` takes "none". */
export function listOption(min: number, max: number, allowEmpty = false) {
  const one = intOption(min, max)
  return (value: string): number[] => {
    if (allowEmpty && ['none', ''].includes(value.trim())) return []
    const parts = value.split(',')
    try {
      return parts.map((p) => one(p.trim()))
    } catch {
      throw new InvalidArgumentError(
        `expected whole numbers from ${min} to ${max} separated by commas (e.g. 128,64), got "${value}"`
      )
    }
  }
}

/** --engine for the commands that run a model: commander rejects other values, listing these. */
export function engineOption(): Option {
  return new Option(
    '--engine <name>',
    'inference engine: tfjs (TensorFlow, as in training) or onnx (onnxruntime on the ONNX export; faster)'
  )
    .choices(ENGINES)
    .default('tfjs')
}

export const DATA_OPTION_HELP =
  'folder with the four Fashion-MNIST IDX .gz files (default: $FASHION_MNIST_DIR, then /usr/share/datasets/fashion-mnist, then <workspace>/datasets/fashion-mnist)'

/** The workspace and the dataset folder for a command, from its flags and the environment. */
export function locations(flags: { data?: string; workspace?: string }): {
  workspace: string
  dataDir: string
} {
  const workspace = flags.workspace ?? defaultWorkspace()
  return { workspace, dataDir: resolveDataDir({ flag: flags.data, workspace }) }
}

/** The workspace's own copy of the dataset, where downloads go. */
export function workspaceDataDir(workspace: string): string {
  return join(workspace, 'datasets', 'fashion-mnist')
}

/**
 * Like locations(), and on a machine without the dataset (no flag, no $FASHION_MNIST_DIR, no Debian
 * copy) downloads it into the workspace first, with progress on stderr.
 */
export async function locationsWithData(flags: {
  data?: string
  workspace?: string
}): Promise<{ workspace: string; dataDir: string }> {
  const loc = locations(flags)
  if (loc.dataDir === workspaceDataDir(loc.workspace) && missingFiles(loc.dataDir).length > 0) {
    process.stderr.write(`Fashion-MNIST not found; downloading it into ${loc.dataDir}\n`)
    await downloadWithProgress(loc.dataDir)
  }
  return loc
}

/** Downloads (and verifies) the dataset, printing one progress line per file on stderr. */
export async function downloadWithProgress(dir: string, baseUrl?: string): Promise<void> {
  let last = ''
  await downloadFashionMnist({
    dir,
    baseUrl: baseUrl ?? process.env.FASHION_MNIST_URL,
    onProgress: ({ file, received, total }) => {
      const pct = total
        ? `${Math.floor((100 * received) / total)}%`
        : `${(received / 1e6).toFixed(1)} MB`
      const line = `${file}: ${pct}`
      if (line !== last) process.stderr.write(`\r${line}    `)
      last = line
    }
  })
  process.stderr.write('\n')
}
