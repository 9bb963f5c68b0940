import { describe, expect, it } from 'vitest'
import {
  CNN_BEST_PRESET,
  CNN_BN_PRESET,
  CNN_SMALL_PRESET,
  PRESETS,
  SEED_PRESET,
  TrainConfigSchema,
  isPlainDense
} from '@shared/training'
import {
  buildArchitecture,
  describeArchitecture,
  paramSpecs
} from '../../../src/main/engine/training/architecture'

describe('buildArchitecture', () => {
  it('builds the Keras reference CNN for cnn-small: conv32-pool-conv64-pool-dense128, valid padding', () => {
    const layers = buildArchitecture(CNN_SMALL_PRESET)
    expect(describeArchitecture(layers)).toBe(
      'reshape-conv3x3x32-pool-relu-conv3x3x64-pool-relu-flatten-dense128-relu-dense10'
    )
    // 28 -> 26 -> 13 -> 11 -> 5: 5*5*64 = 1600 inputs to the dense layer, as in Keras.
    expect(layers.find((l) => l.kind === 'flatten')).toEqual({ kind: 'flatten', size: 1600 })
    const params = paramSpecs(layers).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
    expect(params).toBe(320 + 18496 + 204928 + 1290) // Keras's model.summary() for the same network
  })

  it('puts batch normalization without biases, and dropout before dense layers, for cnn-bn', () => {
    const layers = buildArchitecture(CNN_BN_PRESET)
    expect(describeArchitecture(layers)).toBe(
      'reshape-conv3x3x32-pool-batchnorm-relu-conv3x3x64-pool-batchnorm-relu-flatten-dropout0.3-dense256-batchnorm-relu-dropout0.3-dense10'
    )
    expect(layers.filter((l) => l.kind === 'conv').every((l) => l.kind === 'conv' && !l.bias)).toBe(
      true
    )
    const specs = paramSpecs(layers)
    expect(specs.filter((s) => !s.trainable).map((s) => s.role)).toEqual([
      'moving_mean',
      'moving_variance',
      'moving_mean',
      'moving_variance',
      'moving_mean',
      'moving_variance'
    ])
  })

  it('has two convolutions per block for cnn-best, normalised between them', () => {
    expect(describeArchitecture(buildArchitecture(CNN_BEST_PRESET))).toMatch(
      /^reshape-conv3x3x32-batchnorm-relu-conv3x3x32-pool-batchnorm-relu-conv3x3x64-batchnorm-relu-conv3x3x64-pool/
    )
  })

  it('is the plain dense network for the seed preset, which keeps its fast path', () => {
    expect(describeArchitecture(buildArchitecture(SEED_PRESET))).toBe(
      'dense128-relu-dense64-relu-dense10'
    )
    expect(isPlainDense(SEED_PRESET)).toBe(true)
    expect(isPlainDense({ ...SEED_PRESET, dropout: 0.2 })).toBe(false)
    expect(isPlainDense(CNN_SMALL_PRESET)).toBe(false)
  })

  it('refuses more convolutions than a 28x28 image can take', () => {
    expect(() => buildArchitecture({ ...CNN_SMALL_PRESET, convFilters: [8, 8, 8, 8] })).toThrow(
      /too many/
    )
  })

  it('parses every preset, and old model metadata without the new fields gets their defaults', () => {
    for (const preset of Object.values(PRESETS))
      expect(TrainConfigSchema.parse(preset)).toEqual(preset)
    const old = {
      preset: 'seed',
      epochs: 15,
      batchSize: 64,
      learningRate: 0.001,
      validationSplit: 0.2,
      seed: 0,
      hiddenUnits: [128, 64]
    }
    expect(TrainConfigSchema.parse(old)).toEqual(SEED_PRESET)
    expect(TrainConfigSchema.safeParse({ ...SEED_PRESET, preset: 'resnet' }).success).toBe(false)
    expect(TrainConfigSchema.safeParse({ ...SEED_PRESET, dropout: 1 }).success).toBe(false)
  })
})
