// Confident learning worked out by hand on seven images of three classes, and the pieces around it
// that need no TensorFlow: stratified folds, the fine-tuning set, before/after metrics, and reading a
// model's weights as the training loop's flat vector.
import { describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import { finetuneMetrics } from '../../src/main/engine/finetune/compare'
import { assembleTrainingSet } from '../../src/main/engine/finetune/finetune'
import {
  findLabelIssues,
  perClassThresholds
} from '../../src/main/engine/labels/confident-learning'
import { assignFolds } from '../../src/main/engine/labels/suggestions'
import { flatWeightsFromArtifacts } from '../../src/main/engine/training/flat-weights'

// Out-of-sample probabilities (rows) and given labels. Image 2 is labelled 0 but confidently 1;
// image 6 is labelled 2 but confidently 0; image 4 is confidently nothing (below every threshold).
const P = [
  [0.9, 0.05, 0.05],
  [0.8, 0.1, 0.1],
  [0.1, 0.8, 0.1],
  [0.1, 0.7, 0.2],
  [0.2, 0.6, 0.2],
  [0.1, 0.1, 0.8],
  [0.7, 0.1, 0.2]
]
const Y = [0, 0, 0, 1, 1, 2, 2]
const probs = Float32Array.from(P.flat())

describe('confident learning', () => {
  it('computes per-class thresholds as the mean self-confidence of each class', () => {
    // t0 = (0.9 + 0.8 + 0.1) / 3, t1 = (0.7 + 0.6) / 2, t2 = (0.8 + 0.2) / 2
    const t = perClassThresholds(probs, Y, 3)
    expect(t[0]).toBeCloseTo(0.6, 6)
    expect(t[1]).toBeCloseTo(0.65, 6)
    expect(t[2]).toBeCloseTo(0.5, 6)
  })

  it('counts the confident joint and finds the off-diagonal images, least self-confident first', () => {
    const r = findLabelIssues(probs, Y, 3)
    // Rows: given label; columns: confident class. Image 4 (0.6 < t1 = 0.65) is not counted.
    expect(r.joint).toEqual([
      [2, 1, 0],
      [0, 1, 0],
      [1, 0, 1]
    ])
    expect(r.issues.map((i) => [i.index, i.given, i.suggested])).toEqual([
      [2, 0, 1],
      [6, 2, 0]
    ])
    expect(r.issues[0]!.probability).toBeCloseTo(0.8, 6)
    expect(r.issues[0]!.selfConfidence).toBeCloseTo(0.1, 6)
    expect(r.issues[0]!.margin).toBeCloseTo(-0.7, 6)
    expect(r.issues[1]!.margin).toBeCloseTo(-0.5, 6)
    // Calibrated joint: rows scaled to 3, 2, 2 images; off-diagonal 1 + 1 of 7 -> 2 errors.
    expect(r.estimatedErrors).toBe(2)
  })

  it('ranks by normalized margin when asked, and leaves skipped (excluded) images out', () => {
    const byMargin = findLabelIssues(probs, Y, 3, 'normalized_margin')
    expect(byMargin.issues.map((i) => i.index)).toEqual([2, 6])
    const skipped = findLabelIssues(probs, Y, 3, 'self_confidence', new Set([2]))
    // Without image 2, t0 rises to 0.85: image 6 (p0 = 0.7) is no longer confidently class 0.
    expect(skipped.thresholds[0]).toBeCloseTo(0.85, 6)
    expect(skipped.joint[0]).toEqual([1, 0, 0]) // image 1 (0.8) is now below t0 too
    expect(skipped.issues).toEqual([])
  })

  it('picks the likeliest class among those over their threshold, not the overall argmax', () => {
    // Class 0's threshold is high (0.95), class 1's low (0.3): an image labelled 2 with
    // p = [0.5, 0.4, 0.1] is confidently 1, though 0 is its argmax.
    const p = Float32Array.from([0.95, 0.05, 0, 0.25, 0.3, 0.45, 0.05, 0.05, 0.9, 0.5, 0.4, 0.1])
    const r = findLabelIssues(p, [0, 1, 2, 2], 3)
    expect(r.issues.map((i) => [i.index, i.suggested])).toEqual([[3, 1]])
  })

  it('rejects probabilities of the wrong shape', () => {
    expect(() => findLabelIssues(probs.subarray(1), Y, 3)).toThrow(/expected 7 x 3/)
  })
})

describe('stratified folds', () => {
  it('cover every image once, keep the class balance, and leave excluded images out', () => {
    const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 10)
    const folds = assignFolds(labels, 5, 0, new Set([3, 4]))
    const all = folds.flat().sort((a, b) => a - b)
    expect(all).toEqual([...Array(1000).keys()].filter((i) => i !== 3 && i !== 4))
    for (const f of folds) {
      expect(f.length).toBeGreaterThanOrEqual(199)
      expect(f.filter((i) => labels[i] === 7)).toHaveLength(20)
    }
    expect(assignFolds(labels, 5, 0)).toEqual(assignFolds(labels, 5, 0))
  })
})

describe('fine-tuning set', () => {
  const count = 200
  const split = {
    images: Uint8Array.from(
      { length: count * IMAGE_PIXELS },
      (_, k) => Math.floor(k / IMAGE_PIXELS) % 256
    ),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count
  }
  const corrected = split.labels.slice()
  corrected[5] = 9
  corrected[6] = 1

  it('repeats the corrected images, samples the replay, and holds out replay images only', () => {
    const set = assembleTrainingSet(split, corrected, [5, 6], new Set([7]), {
      replay: 0.5,
      repeat: 3,
      seed: 1
    })
    // 197 others (2 corrected, 1 excluded), half replayed: 99 (9 held out) + 2 x 3 corrected.
    expect(set.split.count).toBe(99 + 6)
    expect(set.validation).toBe(9)
    const ids = Array.from(
      { length: set.split.count },
      (_, k) => set.split.images[k * IMAGE_PIXELS]!
    )
    expect(ids.filter((id) => id === 5)).toHaveLength(3)
    expect(ids).not.toContain(7)
    expect(ids.slice(-9)).not.toContain(5)
    const at = ids.indexOf(5)
    expect(set.split.labels[at]).toBe(9)
  })
})

describe('before/after metrics', () => {
  it('judge the test split on the corrected labels without excluded images', () => {
    const oneHot = (cls: number[]): Float32Array =>
      Float32Array.from(cls.flatMap((c) => Array.from({ length: 10 }, (_, j) => (j === c ? 1 : 0))))
    const m = finetuneMetrics(
      oneHot([0, 1, 2, 3]),
      {
        original: Uint8Array.of(0, 1, 5, 3),
        corrected: Uint8Array.of(0, 1, 2, 4),
        excluded: new Set([3])
      },
      oneHot([2]),
      Uint8Array.of(2)
    )
    expect(m.testAccuracyOriginal).toBe(0.75)
    expect(m.testAccuracy).toBe(1)
    expect(m.corrected).toEqual({ count: 1, accuracy: 1 })
    expect(m.f1).toHaveLength(10)
  })
})

describe('flat weights from a saved model', () => {
  const spec = (name: string, shape: number[]) => ({ name, shape, dtype: 'float32' as const })
  const specs = [
    spec('hidden_1/kernel', [784, 4]),
    spec('hidden_1/bias', [4]),
    spec('output/kernel', [4, 10]),
    spec('output/bias', [10])
  ]
  const n = 784 * 4 + 4 + 40 + 10

  it('reads kernel and bias per layer in the training loop’s order', () => {
    const data = Float32Array.from({ length: n }, (_, i) => i)
    const flat = flatWeightsFromArtifacts(
      { modelTopology: {}, weightSpecs: specs, weightData: data.buffer },
      [4]
    )
    expect(flat).toEqual(data)
    expect(flat.buffer).not.toBe(data.buffer)
  })

  it('refuses a model of another shape', () => {
    expect(() =>
      flatWeightsFromArtifacts(
        { modelTopology: {}, weightSpecs: specs, weightData: new ArrayBuffer(n * 4) },
        [128, 64]
      )
    ).toThrow(/not those of a 784-128-64-10 dense network/)
  })
})
