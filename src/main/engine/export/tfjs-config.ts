// Readers for the fields of a tfjs layer config (Keras JSON): each checks its value and throws an
// ExportError naming the layer and the field, so a bad model.json never turns into a wrong export.
import { ExportError } from './errors'
import { ACTIVATIONS, type Activation, type Padding } from './graph'

export type Config = Record<string, unknown>

/** The activation by its Keras name, if every exporter computes it exactly. */
export function activation(layer: string, value: unknown): Activation {
  const name = value ?? 'linear'
  if (typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name)) {
    return name as Activation
  }
  throw new ExportError(
    `layer "${layer}": unsupported activation ${JSON.stringify(name)} (supported: ${ACTIVATIONS.join(', ')})`
  )
}

/** 'valid' or 'same'. */
export function padding(layer: string, cfg: Config): Padding {
  const p = cfg.padding ?? 'valid'
  if (p === 'valid' || p === 'same') return p
  throw new ExportError(`layer "${layer}": unsupported padding ${JSON.stringify(p)}`)
}

/** Refuses channels_first data (our models and both targets use channels_last). */
export function channelsLast(layer: string, cfg: Config): void {
  const format = cfg.data_format ?? 'channels_last'
  if (format !== 'channels_last') {
    throw new ExportError(
      `layer "${layer}": data_format ${JSON.stringify(format)} is not supported (only channels_last)`
    )
  }
}

/** Refuses a 2-D image layer on anything but [height, width, channels]. */
export function image(layer: string, cls: string, input: number[]): void {
  if (input.length !== 3) {
    throw new ExportError(
      `layer "${layer}": ${cls} needs an image input [height, width, channels], got [${input.join(', ')}]`
    )
  }
}

/** A finite number (or the default). */
export function num(layer: string, cfg: Config, key: string, fallback?: number): number {
  const v = cfg[key] ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ExportError(`layer "${layer}": ${key} must be a number, got ${JSON.stringify(v)}`)
  }
  return v
}

/** A positive whole number. */
export function int(layer: string, cfg: Config, key: string): number {
  const v = num(layer, cfg, key)
  if (!Number.isInteger(v) || v <= 0) {
    throw new ExportError(`layer "${layer}": ${key} must be a positive whole number, got ${v}`)
  }
  return v
}

/** Two positive whole numbers (a single number is used for both). */
export function pair(
  layer: string,
  cfg: Config,
  key: string,
  fallback?: [number, number]
): [number, number] {
  const v = cfg[key] ?? fallback
  const arr = typeof v === 'number' ? [v, v] : v
  if (!Array.isArray(arr) || arr.length !== 2 || !arr.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ExportError(
      `layer "${layer}": ${key} must be two positive whole numbers, got ${JSON.stringify(v)}`
    )
  }
  return [arr[0] as number, arr[1] as number]
}

/** A JSON object, or an ExportError naming what it should have been. */
export function asConfig(value: unknown, what: string): Config {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ExportError(`model.json: ${what} is not an object`)
  }
  return value as Config
}
