// The onnxruntime worker through OrtHost, on a real model's ONNX export built in memory: it predicts
// like tfjs, refuses bytes onnxruntime cannot read (bad input tried: random bytes as a model) with
// onnxruntime's reason, and once closed it refuses late batches instead of starting a new worker
// (one would keep a stopping server's process alive).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import { onnxModelBytes } from '../../src/main/engine/export/export-model'
import { OrtHost } from '../../src/main/engine/inference/ort-host'
import { readModelDir } from '../../src/main/engine/models/model-dir'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { runCli } from '../helpers/cli'
import { realData, WORKER_FILE } from '../helpers/real-data'

let tmp: string
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-ort-host-'))
  const run = await runCli([
    'train',
    '--epochs',
    '1',
    '--train-limit',
    '2000',
    '--out',
    join(tmp, 'model')
  ])
  expect(run.code, run.stderr).toBe(0)
}, 120_000)
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('OrtHost', () => {
  it('predicts like tfjs from uint8 and float input; refuses late batches once closed', async () => {
    const { bytes, contract } = await onnxModelBytes(join(tmp, 'model'))
    const ort = new OrtHost(bytes, contract.input.shape.slice(1) as number[])
    const host = new TrainingHost({ workerFile: WORKER_FILE })
    try {
      const images = (await realData()).test.images.slice(0, 500 * IMAGE_PIXELS)
      const fromUint8 = await ort.predict(images)
      const fromFloat = await ort.predict(Float32Array.from(images, (v) => v / 255))
      expect(fromFloat).toEqual(fromUint8)
      const tfjs = await host.predict((await readModelDir(join(tmp, 'model'))).artifacts, images)
      expect(fromUint8).toHaveLength(tfjs.length)
      fromUint8.forEach((p, i) => expect(Math.abs(p - tfjs[i]!)).toBeLessThan(1e-4))
      await expect(ort.predict(images.subarray(0, 100))).rejects.toThrow(
        /100 values is not a whole number of 28x28 images/
      )
    } finally {
      await ort.close()
      await host.close()
    }
    await expect(ort.predict(new Uint8Array(IMAGE_PIXELS))).rejects.toThrow(
      /onnxruntime engine was closed/
    )
  })

  it('rejects bytes that are not an ONNX model with onnxruntime’s reason', async () => {
    const junk = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)
    const ort = new OrtHost(junk, [IMAGE_PIXELS])
    try {
      await expect(ort.load()).rejects.toThrow(/protobuf|parse|load model/i)
    } finally {
      await ort.close()
    }
  })
})
