// The body of TensorFlow Serving's REST predict API, checked value by value: `{"instances": [...]}`
// (row format) or `{"inputs": [...]}` (columnar, a plain batch here), each instance 784 numbers or
// 28 rows of 28 (optionally with a trailing channel of 1), every value a finite number in [0, 1].
import { IMAGE_PIXELS, IMAGE_SIZE } from '@shared/classes'

export class BadRequestError extends Error {
  readonly statusCode = 400
}

/** Most instances accepted in one request (more must be split by the client). */
export const MAX_INSTANCES = 1024

/** Flattens and checks the instances; throws BadRequestError naming the first problem. */
export function parseInstances(body: unknown): { pixels: Float32Array; count: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('the body must be a JSON object with "instances" (or "inputs")')
  }
  const b = body as Record<string, unknown>
  const list = b.instances ?? b.inputs
  if (list === undefined) throw new BadRequestError('missing "instances" (or "inputs")')
  if (!Array.isArray(list)) throw new BadRequestError('"instances" must be an array')
  if (list.length === 0) throw new BadRequestError('"instances" is empty')
  if (list.length > MAX_INSTANCES) {
    throw new BadRequestError(
      `too many instances: ${list.length} (at most ${MAX_INSTANCES} per request)`
    )
  }
  const pixels = new Float32Array(list.length * IMAGE_PIXELS)
  list.forEach((instance, i) => flattenInstance(instance, i, pixels.subarray(i * IMAGE_PIXELS)))
  return { pixels, count: list.length }
}

function flattenInstance(instance: unknown, i: number, out: Float32Array): void {
  // TF Serving also accepts {"input": [...]} objects per instance (named inputs).
  const value =
    typeof instance === 'object' && instance !== null && !Array.isArray(instance)
      ? (instance as Record<string, unknown>).input
      : instance
  if (!Array.isArray(value))
    throw new BadRequestError(`instance ${i}: expected an array of 784 numbers or 28x28`)
  if (value.length === IMAGE_PIXELS) {
    value.forEach((v, k) => (out[k] = pixel(v, i, `[${k}]`)))
    return
  }
  if (value.length !== IMAGE_SIZE) {
    throw new BadRequestError(`instance ${i}: expected 784 values or 28 rows, got ${value.length}`)
  }
  value.forEach((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== IMAGE_SIZE) {
      throw new BadRequestError(`instance ${i}: row ${r} must have 28 values`)
    }
    row.forEach((v: unknown, c) => {
      // [28][28][1] (NHWC with one channel) is accepted too.
      const x = Array.isArray(v) && v.length === 1 ? (v[0] as unknown) : v
      out[r * IMAGE_SIZE + c] = pixel(x, i, `[${r}][${c}]`)
    })
  })
}

function pixel(v: unknown, i: number, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new BadRequestError(
      `instance ${i}${where}: expected a number, got ${JSON.stringify(v) ?? typeof v}`
    )
  }
  if (v < 0 || v > 1)
    throw new BadRequestError(
      `instance ${i}${where}: ${v} is outside [0, 1] (scale pixels by 1/255)`
    )
  return v
}
