// Mixed precision: the layers compute in bfloat16, the weights, Adam's moments and the loss stay in
// float32 (the scheme of Keras's 'mixed_bfloat16' policy). On CPUs with AMX or AVX-512 BF16 units,
// oneDNN's bfloat16 convolutions run 2-3x faster than float32 ones (measured here: conv 32->64 on a
// 64-image batch, forward 2.3x, filter gradient 1.9x, input gradient 2.4-3.5x).
//
// tfjs has no bfloat16 dtype, so its bookkeeping labels these tensors float32. They never leave the
// network code without a Cast back to float32; reading one directly fails in tfjs-node's binding
// with "Unhandled TF_DataType: 14" rather than returning wrong numbers.
import { readFileSync } from 'node:fs'
import type { Tensor } from '@tensorflow/tfjs'
import type { NativeBackend, OpAttr } from './raw-ops'

/** TensorFlow's DataType enum values used here. */
export const DT_FLOAT = 1
export const DT_INT32 = 3
export const DT_BFLOAT16 = 14

export type ComputeDtype = typeof DT_FLOAT | typeof DT_BFLOAT16

interface OutputMetadata {
  id: number
  shape: number[]
  dtype: number
}
interface CreatesOutputs {
  createOutputTensor(m: OutputMetadata): Tensor
  binding: { TF_FLOAT: number }
}

const installed = new WeakSet<object>()

/** Lets tfjs-node's backend wrap bfloat16 kernel outputs (as float32-labelled tensors). */
export function acceptBfloat16Outputs(backend: unknown): void {
  const be = backend as CreatesOutputs
  if (installed.has(be)) return
  installed.add(be)
  const original = be.createOutputTensor.bind(be)
  be.createOutputTensor = (m) =>
    original(m.dtype === DT_BFLOAT16 ? { ...m, dtype: be.binding.TF_FLOAT } : m)
}

/** TensorFlow's Cast between float32 and bfloat16. */
export function castOp(backend: unknown, x: Tensor, from: number, to: number): Tensor {
  const be = backend as NativeBackend
  const b = be.binding
  const attrs: OpAttr[] = [
    { name: 'SrcT', type: b.TF_ATTR_TYPE, value: from },
    { name: 'DstT', type: b.TF_ATTR_TYPE, value: to },
    { name: 'Truncate', type: b.TF_ATTR_BOOL, value: false }
  ]
  return be.executeSingleOutput('Cast', attrs, [x])
}

/**
 * Whether this CPU does bfloat16 arithmetic in hardware. Without it oneDNN emulates bfloat16 and
 * mixed precision is slower than float32, so training stays in float32. Linux reports the flags
 * in /proc/cpuinfo; elsewhere we do not guess.
 */
export function cpuHasBfloat16(cpuinfo = readCpuinfo()): boolean {
  return /\b(amx_bf16|avx512_bf16)\b/.test(cpuinfo)
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
  } catch {
    return ''
  }
}
