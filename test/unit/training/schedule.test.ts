import { describe, expect, it } from 'vitest'
import { learningRateAt, ValidationWatch } from '../../../src/main/engine/training/schedule'

describe('learningRateAt', () => {
  it('keeps a constant rate', () => {
    expect(learningRateAt('constant', 0.01, 500, 1000)).toBe(0.01)
  })

  it('anneals a cosine schedule from the base rate to zero', () => {
    expect(learningRateAt('cosine', 0.01, 0, 1001)).toBeCloseTo(0.01, 10)
    expect(learningRateAt('cosine', 0.01, 500, 1001)).toBeCloseTo(0.005, 10)
    expect(learningRateAt('cosine', 0.01, 1000, 1001)).toBeCloseTo(0, 10)
  })

  it('rises for 30% of a one-cycle schedule from base/25 to base, then falls to base/250000', () => {
    const lr = (step: number): number => learningRateAt('one-cycle', 0.01, step, 1001)
    expect(lr(0)).toBeCloseTo(0.0004, 10)
    expect(lr(300)).toBeCloseTo(0.01, 10)
    expect(lr(1000)).toBeCloseTo(0.01 / 25 / 1e4, 12)
    for (let s = 1; s <= 300; s++) expect(lr(s)).toBeGreaterThanOrEqual(lr(s - 1))
    for (let s = 301; s <= 1000; s++) expect(lr(s)).toBeLessThanOrEqual(lr(s - 1))
  })
})

describe('ValidationWatch', () => {
  it('stops after `patience` epochs without a better validation loss', () => {
    const w = new ValidationWatch({ reduceOnPlateau: false, earlyStoppingPatience: 2 })
    expect(w.update(1.0)).toEqual({ improved: true, stop: false })
    expect(w.update(0.9)).toEqual({ improved: true, stop: false })
    expect(w.update(0.95)).toEqual({ improved: false, stop: false })
    expect(w.update(0.9)).toEqual({ improved: false, stop: true })
  })

  it('never stops with patience 0, and halves the rate after 2 flat epochs on plateau', () => {
    const w = new ValidationWatch({ reduceOnPlateau: true, earlyStoppingPatience: 0 })
    w.update(1)
    for (let i = 0; i < 6; i++) expect(w.update(2).stop).toBe(false)
    expect(w.factor).toBe(1 / 8)
    w.update(0.5)
    expect(w.factor).toBe(1 / 8)
  })
})
