// The .keras writer: Keras 3's config.json layout, its weight-group naming, and the HDF5 file read
// back with h5wasm. (That Keras itself loads the files is test/integration/export.test.ts.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { strFromU8, unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildContract } from '../../../src/main/engine/export/contract'
import {
  kerasConfig,
  kerasWeightPaths,
  snakeCase
} from '../../../src/main/engine/export/keras-config'
import { kerasFile } from '../../../src/main/engine/export/keras-file'
import { readSourceModel, type SourceModel } from '../../../src/main/engine/export/source-model'
import { layer, tinyDenseLayers, writeTinyModel } from '../../helpers/export-models'

let tmp: string
let dense: SourceModel
let cnn: SourceModel

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fs-keras-unit-'))
  await writeTinyModel(join(tmp, 'dense'), tinyDenseLayers())
  dense = await readSourceModel(join(tmp, 'dense'))
  await writeTinyModel(join(tmp, 'cnn'), [
    layer('Reshape', 'img', { target_shape: [28, 28, 1], batch_input_shape: [null, 784] }),
    layer('Conv2D', 'c1', { filters: 2, kernel_size: [3, 3] }, [
      ['kernel', [3, 3, 1, 2]],
      ['bias', [2]]
    ]),
    layer('Conv2D', 'c2', { filters: 2, kernel_size: [3, 3], use_bias: false }, [
      ['kernel', [3, 3, 2, 2]]
    ]),
    layer('BatchNormalization', 'bn', {}, [
      ['gamma', [2]],
      ['beta', [2]],
      ['moving_mean', [2]],
      ['moving_variance', [2]]
    ]),
    layer('MaxPooling2D', 'pool', { pool_size: [2, 2] }),
    layer('ReLU', 'relu'),
    layer('Flatten', 'flat'),
    layer('Dense', 'out', { units: 10 }, [
      ['kernel', [288, 10]],
      ['bias', [10]]
    ]),
    layer('Softmax', 'sm', { axis: 1 })
  ])
  cnn = await readSourceModel(join(tmp, 'cnn'))
})
afterAll(() => rm(tmp, { recursive: true, force: true }))

describe('snakeCase (keras.src.utils.naming.to_snake_case)', () => {
  it.each([
    ['Dense', 'dense'],
    ['Conv2D', 'conv2d'],
    ['MaxPooling2D', 'max_pooling2d'],
    ['AveragePooling2D', 'average_pooling2d'],
    ['BatchNormalization', 'batch_normalization'],
    ['ReLU', 're_lu'],
    ['Softmax', 'softmax']
  ])('%s -> %s', (name, snake) => expect(snakeCase(name)).toBe(snake))
})

describe('kerasWeightPaths', () => {
  it('numbers repeated classes as Keras does: conv2d, conv2d_1, ...', () => {
    expect(kerasWeightPaths(cnn.graph)).toEqual([
      'layers/reshape',
      'layers/conv2d',
      'layers/conv2d_1',
      'layers/batch_normalization',
      'layers/max_pooling2d',
      'layers/re_lu',
      'layers/flatten',
      'layers/dense',
      'layers/softmax'
    ])
  })
})

describe('kerasConfig', () => {
  it('is a Sequential with an InputLayer named "pixels" first, and our layers by name', () => {
    const c = kerasConfig(dense.graph) as {
      class_name: string
      config: { layers: { class_name: string; config: Record<string, unknown> }[] }
    }
    expect(c.class_name).toBe('Sequential')
    expect(c.config.layers.map((l) => l.class_name)).toEqual(['InputLayer', 'Dense', 'Dense'])
    expect(c.config.layers[0]!.config).toMatchObject({ name: 'pixels', batch_shape: [null, 784] })
    expect(c.config.layers[1]!.config).toMatchObject({
      name: 'hidden',
      units: 8,
      activation: 'relu',
      use_bias: true
    })
    expect(c).toMatchObject({ build_config: { input_shape: [null, 784] }, compile_config: null })
  })

  it('writes resolved shapes and Keras names for the CNN layers', () => {
    const layers = (
      kerasConfig(cnn.graph) as {
        config: { layers: { class_name: string; config: Record<string, unknown> }[] }
      }
    ).config.layers
    const byName = Object.fromEntries(layers.map((l) => [l.config.name, l]))
    expect(byName.c2!.config).toMatchObject({
      use_bias: false,
      padding: 'valid',
      data_format: 'channels_last'
    })
    expect(byName.bn!.config).toMatchObject({ axis: -1, center: true, scale: true, epsilon: 0.001 })
    expect(byName.relu!.config).toMatchObject({ max_value: null })
    expect(byName.sm!.config).toMatchObject({ axis: 1 })
  })
})

describe('kerasFile', () => {
  it('zips config.json, metadata.json (with the contract) and model.weights.h5 in Keras layout', async () => {
    const contract = buildContract(cnn.graph, {})
    const files = unzipSync(await kerasFile(cnn.graph, contract))
    expect(Object.keys(files).sort()).toEqual(['config.json', 'metadata.json', 'model.weights.h5'])
    const metadata = JSON.parse(strFromU8(files['metadata.json']!))
    expect(metadata.keras_version).toMatch(/^3\./)
    expect(metadata.fashion_studio).toEqual(contract)

    const h5wasm = await import('h5wasm/node')
    await h5wasm.ready
    const path = join(tmp, 'weights.h5')
    await writeFile(path, files['model.weights.h5']!)
    const f = new h5wasm.File(path, 'r')
    try {
      const vars = (p: string) => f.get(p) as InstanceType<typeof h5wasm.Group>
      const dataset = (p: string) => f.get(p) as InstanceType<typeof h5wasm.Dataset>
      expect(vars('layers/conv2d_1/vars').attrs.name!.value).toBe('c2')
      expect(vars('layers/conv2d_1/vars').keys()).toEqual(['0'])
      expect(vars('layers/batch_normalization/vars').keys()).toEqual(['0', '1', '2', '3'])
      expect(vars('layers/flatten/vars').keys()).toEqual([])
      expect(dataset('layers/conv2d/vars/0').shape).toEqual([3, 3, 1, 2])
      expect(dataset('layers/dense/vars/0').dtype).toBe('<f')
      const conv = cnn.graph.layers[1]!
      expect(conv.kind).toBe('conv2d')
      if (conv.kind === 'conv2d') {
        expect(Array.from(dataset('layers/conv2d/vars/0').value as Float32Array)).toEqual(
          Array.from(conv.kernel.data)
        )
      }
      // The moving variance is the 4th variable, after gamma, beta and the mean.
      const bn = cnn.graph.layers[3]!
      if (bn.kind === 'batchNorm') {
        expect(
          Array.from(dataset('layers/batch_normalization/vars/3').value as Float32Array)
        ).toEqual(Array.from(bn.movingVariance.data))
      }
    } finally {
      f.close()
    }
  })
})
