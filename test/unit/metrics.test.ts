import { describe, expect, it } from 'vitest'
import {
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  formatConfusionMatrix,
  formatFixed,
  type ClassMetrics
} from '@shared/metrics'

// Hand-computed 3-class example used throughout (names only matter for formatting).
//   y_true = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
//   y_pred = [0, 0, 0, 1, 0, 1, 1, 2, 2, 1]
// cm (rows true, columns predicted):   column sums (times predicted): [4, 4, 2]
//   [3, 1, 0]   support 4
//   [1, 2, 0]   support 3
//   [0, 1, 2]   support 3
// Shirt: P = 3/4 = 0.75, R = 3/4 = 0.75, F1 = 2*3/(4+4) = 0.75
// Coat:  P = 2/4 = 0.5,  R = 2/3,        F1 = 2*2/(3+4) = 4/7 ~ 0.5714
// Bag:   P = 2/2 = 1,    R = 2/3,        F1 = 2*2/(3+2) = 0.8
// accuracy = (3+2+2)/10 = 0.7
// macro:    P = (0.75+0.5+1)/3 = 0.75, R = (0.75+2/3+2/3)/3 = 25/36 ~ 0.6944,
//           F1 = (0.75+4/7+0.8)/3 ~ 0.7071
// weighted: P = (4*0.75+3*0.5+3*1)/10 = 0.75, R = (3+2+2)/10 = 0.7,
//           F1 = (4*0.75+3*4/7+3*0.8)/10 ~ 0.7114
const NAMES3 = ['Shirt', 'Coat', 'Bag'] as const
const TRUE3 = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
const PRED3 = [0, 0, 0, 1, 0, 1, 1, 2, 2, 1]
const CM3 = [
  [3, 1, 0],
  [1, 2, 0],
  [0, 1, 2]
]

function expectMetrics(actual: ClassMetrics, expected: ClassMetrics): void {
  expect(actual.precision).toBeCloseTo(expected.precision, 10)
  expect(actual.recall).toBeCloseTo(expected.recall, 10)
  expect(actual.f1).toBeCloseTo(expected.f1, 10)
  expect(actual.support).toBe(expected.support)
}

describe('confusionMatrix', () => {
  it.each([
    {
      name: 'perfect classifier',
      yTrue: [0, 1, 2, 2, 1, 0],
      yPred: [0, 1, 2, 2, 1, 0],
      expected: [
        [2, 0, 0],
        [0, 2, 0],
        [0, 0, 2]
      ]
    },
    { name: 'hand-computed 3-class example', yTrue: TRUE3, yPred: PRED3, expected: CM3 },
    {
      name: 'class 2 never predicted',
      yTrue: [0, 1, 2, 2],
      yPred: [0, 1, 1, 0],
      expected: [
        [1, 0, 0],
        [0, 1, 0],
        [1, 1, 0]
      ]
    },
    {
      name: 'empty input',
      yTrue: [],
      yPred: [],
      expected: [
        [0, 0],
        [0, 0]
      ]
    }
  ])('$name', ({ yTrue, yPred, expected }) => {
    expect(confusionMatrix(yTrue, yPred, expected.length)).toEqual(expected)
  })

  it('accepts typed arrays (model outputs arrive as Int32Array)', () => {
    expect(confusionMatrix(Int32Array.from(TRUE3), Uint8Array.from(PRED3), 3)).toEqual(CM3)
  })

  it.each([
    { name: 'length mismatch', yTrue: [0, 1], yPred: [0], error: /mismatch: 2 true labels vs 1/ },
    {
      name: 'true label too large',
      yTrue: [0, 3],
      yPred: [0, 1],
      error: /true label at index 1 is 3/
    },
    {
      name: 'negative prediction',
      yTrue: [0, 1],
      yPred: [-1, 1],
      error: /predicted label at index 0 is -1/
    },
    { name: 'fractional label', yTrue: [0.5], yPred: [0], error: /expected an integer in 0..2/ },
    { name: 'NaN prediction', yTrue: [0], yPred: [NaN], error: /predicted label at index 0 is NaN/ }
  ])('throws on $name', ({ yTrue, yPred, error }) => {
    expect(() => confusionMatrix(yTrue, yPred, 3)).toThrow(error)
  })
})

describe('classificationReport', () => {
  it.each([
    {
      name: 'perfect classifier',
      cm: [
        [2, 0, 0],
        [0, 2, 0],
        [0, 0, 2]
      ],
      perClass: [
        { precision: 1, recall: 1, f1: 1, support: 2 },
        { precision: 1, recall: 1, f1: 1, support: 2 },
        { precision: 1, recall: 1, f1: 1, support: 2 }
      ],
      accuracy: 1,
      macro: { precision: 1, recall: 1, f1: 1, support: 6 },
      weighted: { precision: 1, recall: 1, f1: 1, support: 6 }
    },
    {
      name: 'hand-computed 3-class example',
      cm: CM3,
      perClass: [
        { precision: 0.75, recall: 0.75, f1: 0.75, support: 4 },
        { precision: 0.5, recall: 2 / 3, f1: 4 / 7, support: 3 },
        { precision: 1, recall: 2 / 3, f1: 0.8, support: 3 }
      ],
      accuracy: 0.7,
      macro: { precision: 0.75, recall: 25 / 36, f1: (0.75 + 4 / 7 + 0.8) / 3, support: 10 },
      weighted: { precision: 0.75, recall: 0.7, f1: (3 + 12 / 7 + 2.4) / 10, support: 10 }
    },
    {
      // Class 2 is never predicted: precision 0/0 -> 0 (zero_division=0), recall 0/2, F1 0.
      // Classes 0 and 1: P = 1/2, R = 1, F1 = 2*1/(1+2) = 2/3.
      name: 'class never predicted',
      cm: [
        [1, 0, 0],
        [0, 1, 0],
        [1, 1, 0]
      ],
      perClass: [
        { precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
        { precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
        { precision: 0, recall: 0, f1: 0, support: 2 }
      ],
      accuracy: 0.5,
      macro: { precision: 1 / 3, recall: 2 / 3, f1: 4 / 9, support: 4 },
      weighted: { precision: 0.25, recall: 0.5, f1: 1 / 3, support: 4 }
    },
    {
      // Class 2 has no true samples but is predicted once: P = 0/1, R = 0/0 -> 0, F1 = 0/(0+1).
      // Class 0: P = 1/1, R = 1/2, F1 = 2/(2+1) = 2/3. Class 1: all 1.
      // It still counts in the macro mean, but has weight 0 in the weighted mean.
      name: 'class with zero support',
      cm: [
        [1, 0, 1],
        [0, 2, 0],
        [0, 0, 0]
      ],
      perClass: [
        { precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
        { precision: 1, recall: 1, f1: 1, support: 2 },
        { precision: 0, recall: 0, f1: 0, support: 0 }
      ],
      accuracy: 0.75,
      macro: { precision: 2 / 3, recall: 0.5, f1: 5 / 9, support: 4 },
      weighted: { precision: 1, recall: 0.75, f1: 5 / 6, support: 4 }
    },
    {
      name: 'no samples at all',
      cm: [
        [0, 0],
        [0, 0]
      ],
      perClass: [
        { precision: 0, recall: 0, f1: 0, support: 0 },
        { precision: 0, recall: 0, f1: 0, support: 0 }
      ],
      accuracy: 0,
      macro: { precision: 0, recall: 0, f1: 0, support: 0 },
      weighted: { precision: 0, recall: 0, f1: 0, support: 0 }
    }
  ])('$name', ({ cm, perClass, accuracy, macro, weighted }) => {
    const names = cm.map((_, i) => `class ${i}`)
    const report = classificationReport(cm, names)
    expect(report.classes.map((c) => c.name)).toEqual(names)
    report.classes.forEach((c, i) => expectMetrics(c, perClass[i]!))
    expect(report.accuracy).toBeCloseTo(accuracy, 10)
    expectMetrics(report.macroAvg, macro)
    expectMetrics(report.weightedAvg, weighted)
    expect(report.total).toBe(macro.support)
  })

  it.each([
    { name: 'too few rows', cm: [[1, 0, 0]] },
    {
      name: 'ragged row',
      cm: [
        [1, 0, 0],
        [0, 1],
        [0, 0, 1]
      ]
    }
  ])('throws when the matrix shape does not match the names ($name)', ({ cm }) => {
    expect(() => classificationReport(cm, NAMES3)).toThrow(/must be 3x3/)
  })
})

describe('formatFixed', () => {
  // Python's format() rounds exact binary ties half to even; Number#toFixed rounds them up.
  it.each([
    { x: 0.125, digits: 2, expected: '0.12' },
    { x: 0.375, digits: 2, expected: '0.38' },
    { x: 0.625, digits: 2, expected: '0.62' },
    { x: 0.875, digits: 2, expected: '0.88' },
    { x: 2.5, digits: 0, expected: '2' },
    { x: 3.5, digits: 0, expected: '4' },
    { x: 0.135, digits: 2, expected: '0.14' }, // stored as 0.13500000000000000888: not a tie
    { x: 2.675, digits: 2, expected: '2.67' }, // stored as 2.67499999999999982236
    { x: 2 / 3, digits: 4, expected: '0.6667' },
    { x: 1, digits: 2, expected: '1.00' },
    { x: 0, digits: 3, expected: '0.000' },
    { x: -0.125, digits: 2, expected: '-0.12' }
  ])('formats $x with $digits digits as $expected', ({ x, digits, expected }) => {
    expect(formatFixed(x, digits)).toBe(expected)
  })
})

describe('formatClassificationReport', () => {
  it.each([
    {
      name: 'digits=2 (scikit-learn default)',
      digits: undefined,
      expected: [
        '              precision    recall  f1-score   support',
        '',
        '       Shirt       0.75      0.75      0.75         4',
        '        Coat       0.50      0.67      0.57         3',
        '         Bag       1.00      0.67      0.80         3',
        '',
        '    accuracy                           0.70        10',
        '   macro avg       0.75      0.69      0.71        10',
        'weighted avg       0.75      0.70      0.71        10',
        ''
      ].join('\n')
    },
    {
      name: 'digits=4',
      digits: 4,
      expected: [
        '              precision    recall  f1-score   support',
        '',
        '       Shirt     0.7500    0.7500    0.7500         4',
        '        Coat     0.5000    0.6667    0.5714         3',
        '         Bag     1.0000    0.6667    0.8000         3',
        '',
        '    accuracy                         0.7000        10',
        '   macro avg     0.7500    0.6944    0.7071        10',
        'weighted avg     0.7500    0.7000    0.7114        10',
        ''
      ].join('\n')
    }
  ])('matches scikit-learn layout with $name', ({ digits, expected }) => {
    const report = classificationReport(confusionMatrix(TRUE3, PRED3, 3), NAMES3)
    expect(formatClassificationReport(report, digits === undefined ? {} : { digits })).toBe(
      expected
    )
  })

  it('widens the name column for class names longer than "weighted avg"', () => {
    const names = ['Extremely long class', 'b']
    const text = formatClassificationReport(
      classificationReport(
        [
          [1, 0],
          [0, 1]
        ],
        names
      )
    )
    const lines = text.split('\n')
    expect(lines[2]).toBe('Extremely long class       1.00      1.00      1.00         1')
    expect(lines[3]).toBe('                   b       1.00      1.00      1.00         1')
    expect(lines[7]).toBe('        weighted avg       1.00      1.00      1.00         2')
  })
})

describe('formatConfusionMatrix', () => {
  it.each([
    {
      name: 'hand-computed 3-class example',
      cm: CM3,
      names: NAMES3,
      expected: [
        'rows: true class, columns: predicted class',
        '           0    1    2',
        '0 Shirt    3    1    0',
        '1 Coat     1    2    0',
        '2 Bag      0    1    2',
        ''
      ].join('\n')
    },
    {
      name: 'wide counts',
      cm: [
        [12345, 6],
        [7, 890]
      ],
      names: ['a', 'b'],
      expected: [
        'rows: true class, columns: predicted class',
        '         0      1',
        '0 a  12345      6',
        '1 b      7    890',
        ''
      ].join('\n')
    }
  ])('$name', ({ cm, names, expected }) => {
    expect(formatConfusionMatrix(cm, names)).toBe(expected)
  })

  it('throws when the matrix does not match the names', () => {
    expect(() => formatConfusionMatrix(CM3, ['a', 'b'])).toThrow(/must be 2x2/)
  })
})
