// Which CPUs mixed precision is offered on: bfloat16 in hardware (AMX or AVX-512 BF16), read from
// /proc/cpuinfo's flags. Inputs tried: this machine's real cpuinfo, an AVX-512 CPU without BF16,
// an AMX-only flag list, an empty file (macOS and Windows have none).
import { readFileSync, existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cpuHasBfloat16 } from '../../../src/main/engine/training/precision'

describe('cpuHasBfloat16', () => {
  it('finds AVX-512 BF16 or AMX-BF16 among the flags', () => {
    expect(cpuHasBfloat16('flags\t\t: fpu vme avx512f avx512_bf16 avx512_vnni\n')).toBe(true)
    expect(cpuHasBfloat16('flags\t\t: fpu amx_bf16 amx_tile amx_int8\n')).toBe(true)
  })

  it('refuses CPUs without them, and an unreadable cpuinfo', () => {
    expect(cpuHasBfloat16('flags\t\t: fpu vme avx2 avx512f avx512bw avx512_vnni\n')).toBe(false)
    // A longer flag that merely contains the name does not count.
    expect(cpuHasBfloat16('flags\t\t: fpu xavx512_bf16x\n')).toBe(false)
    expect(cpuHasBfloat16('')).toBe(false)
  })

  it.runIf(existsSync('/proc/cpuinfo'))('agrees with this machine\u2019s /proc/cpuinfo', () => {
    const flags = readFileSync('/proc/cpuinfo', 'utf8')
    expect(cpuHasBfloat16()).toBe(flags.includes(' avx512_bf16') || flags.includes(' amx_bf16'))
  })
})
