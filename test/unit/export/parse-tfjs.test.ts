// The tfjs layers JSON -> ModelGraph parser: shapes as TensorFlow computes them, and a clear
// ExportError for everything the exporters cannot reproduce exactly.
import { describe, expect, it } from 'vitest'
import { ExportError } from '../../../src/main/engine/export/errors'
import { parseTopology, type NamedWeights } from '../../../src/main/engine/export/parse-tfjs'
import { resolveReshape, samePadding, windowOutput } from '../../../src/main/engine/export/shapes'
import { layer, tinyDenseLayers, type TinyLayer } from '../../helpers/export-models'

function parse(layers: TinyLayer[], className = 'Sequential', extra: [string, number[]][] = []) {
  const weights: NamedWeights = new Map()
  for (const l of layers) {
    for (const [suffix, shape] of l.weights ?? []) {
      weights.set(`${String(l.config.name)}/${suffix}`, {
        shape,
        data: new Float32Array(shape.reduce((a, b) => a * b, 1))
      })
    }
  }
  for (const [name, shape] of extra) weights.set(name, { shape, data: new Float32Array(1) })
  const topology = {
    class_name: className,
    config: {
      name: 'm',
      layers: layers.map((l) => ({ class_name: l.class_name, config: l.config }))
    }
  }
  return parseTopology(topology, weights)
}

const cnn = (): TinyLayer[] => [
  layer('InputLayer', 'in', { batch_input_shape: [null, 28, 28, 1] }),
  layer('Conv2D', 'c1', { filters: 4, kernel_size: [3, 3], padding: 'same', strides: [2, 2] }, [
    ['kernel', [3, 3, 1, 4]],
    ['bias', [4]]
  ]),
  layer('BatchNormalization', 'bn', { axis: -1 }, [
    ['gamma', [4]],
    ['beta', [4]],
    ['moving_mean', [4]],
    ['moving_variance', [4]]
  ]),
  layer('MaxPooling2D', 'p1', { pool_size: [3, 3], strides: [2, 2], padding: 'valid' }),
  layer('Dropout', 'd', { rate: 0.5 }),
  layer('Flatten', 'f'),
  layer('Dense', 'out', { units: 10, activation: 'softmax', use_bias: false }, [
    ['kernel', [144, 10]]
  ])
]

describe('windowOutput and samePadding (TensorFlow semantics)', () => {
  it.each([
    // size, window, stride, dilation, padding, expected
    [28, 3, 1, 1, 'valid', 26],
    [28, 3, 1, 1, 'same', 28],
    [28, 5, 2, 1, 'same', 14],
    [27, 2, 2, 1, 'valid', 13],
    [27, 2, 2, 1, 'same', 14],
    [28, 3, 1, 2, 'valid', 24]
  ] as const)('%i, window %i, stride %i, dilation %i, %s -> %i', (n, k, s, d, p, want) => {
    expect(windowOutput(n, k, s, d, p)).toBe(want)
  })

  it.each([
    [28, 3, 1, 1, [1, 1]],
    [28, 5, 2, 1, [1, 2]],
    [14, 3, 2, 1, [0, 1]],
    [7, 2, 2, 1, [0, 1]],
    [28, 2, 2, 1, [0, 0]]
  ] as const)('same padding of %i, window %i, stride %i: %j', (n, k, s, d, want) => {
    expect(samePadding(n, k, s, d)).toEqual(want)
  })

  it('resolves -1 in a Reshape and refuses impossible ones', () => {
    expect(resolveReshape('r', [784], [28, -1, 1])).toEqual([28, 28, 1])
    expect(() => resolveReshape('r', [784], [27, -1])).toThrow(ExportError)
    expect(() => resolveReshape('r', [784], [-1, -1])).toThrow(/invalid Reshape target/)
  })
})

describe('parseTopology', () => {
  it('reads the seed architecture', () => {
    const g = parse(tinyDenseLayers())
    expect(g.inputShape).toEqual([784])
    expect(g.outputShape).toEqual([10])
    expect(g.layers.map((l) => [l.kind, l.name, l.outputShape])).toEqual([
      ['dense', 'hidden', [8]],
      ['dense', 'output', [10]]
    ])
  })

  it('follows shapes through convolution, batch norm, pooling, dropout and flatten', () => {
    const g = parse(cnn())
    expect(g.inputShape).toEqual([28, 28, 1])
    expect(g.layers.map((l) => l.outputShape)).toEqual([
      [14, 14, 4],
      [14, 14, 4],
      [6, 6, 4],
      [6, 6, 4],
      [144],
      [10]
    ])
  })

  it.each([
    [
      'an unknown layer',
      [layer('LSTM', 'rnn', { units: 3, batch_input_shape: [null, 4, 4] })],
      /unsupported layer "rnn" \(class LSTM\)/
    ],
    [
      'a bad activation',
      [layer('Activation', 'a', { activation: 'gelu', batch_input_shape: [null, 3] })],
      /layer "a": unsupported activation "gelu"/
    ],
    [
      'channels_first',
      [
        layer('Flatten', 'f', { data_format: 'channels_first', batch_input_shape: [null, 1, 2, 2] })
      ],
      /channels_first/
    ],
    ['no input shape', [layer('Flatten', 'f')], /declares no input shape/],
    [
      'an unknown input size',
      [layer('Flatten', 'f', { batch_input_shape: [null, null, 3] })],
      /must be fully known/
    ],
    [
      'a leaky ReLU',
      [layer('ReLU', 'r', { negative_slope: 0.1, batch_input_shape: [null, 3] })],
      /negative_slope/
    ],
    [
      'a conv on a vector',
      [layer('Conv2D', 'c', { filters: 1, kernel_size: 1, batch_input_shape: [null, 3] })],
      /needs an image input/
    ]
  ])('refuses %s', (_, layers, message) => {
    expect(() => parse(layers)).toThrow(message)
  })

  it('refuses a weight of the wrong shape, a missing weight and an unused one', () => {
    const wrong = tinyDenseLayers()
    wrong[1]!.weights = [
      ['kernel', [8, 9]],
      ['bias', [10]]
    ]
    expect(() => parse(wrong)).toThrow(
      /weight output\/kernel has shape \[8, 9\], expected \[8, 10\]/
    )
    const missing = tinyDenseLayers()
    missing[1]!.weights = [['kernel', [8, 10]]]
    expect(() => parse(missing)).toThrow(/weight output\/bias is missing/)
    expect(() => parse(tinyDenseLayers(), 'Sequential', [['stray/w', [1]]])).toThrow(
      /no layer uses: stray\/w/
    )
  })

  it('refuses functional models (ensembles) with what to do instead', () => {
    expect(() => parse(tinyDenseLayers(), 'Model')).toThrow(/export each member model/)
  })
})
