import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLASS_NAMES } from '@shared/classes'
import type { EpochLogs } from '@shared/training'
import {
  renderConfusionSvg,
  writeConfusionPng
} from '../../src/main/engine/charts/confusion-heatmap'
import { blues, esc, isDark, niceTicks } from '../../src/main/engine/charts/svg'
import {
  renderTrainingCurvesSvg,
  writeTrainingCurvesPng
} from '../../src/main/engine/charts/training-curves'

const HISTORY: EpochLogs[] = [
  { epoch: 1, loss: 0.52, accuracy: 0.81, val_loss: 0.43, val_accuracy: 0.845, seconds: 2.1 },
  { epoch: 2, loss: 0.38, accuracy: 0.862, val_loss: 0.39, val_accuracy: 0.858, seconds: 2.0 },
  { epoch: 3, loss: 0.34, accuracy: 0.875, val_loss: 0.37, val_accuracy: 0.866, seconds: 2.0 }
]

// A 10x10 matrix with recognisable counts: 900 + i on the diagonal, 7 everywhere else.
const CM = CLASS_NAMES.map((_, i) => CLASS_NAMES.map((__, j) => (i === j ? 900 + i : 7)))

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'charts-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function expectPng(file: string, width: number, height: number): Promise<void> {
  const bytes = await readFile(file)
  // PNG signature: \x89 P N G
  expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
  const meta = await sharp(bytes).metadata()
  expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
    format: 'png',
    width,
    height
  })
}

describe('training curves', () => {
  it.each([
    { name: 'three epochs', history: HISTORY },
    { name: 'a single epoch', history: HISTORY.slice(0, 1) },
    { name: 'empty history', history: [] }
  ])('renders a 1200x500 PNG for $name', async ({ history }) => {
    const file = join(dir, `curves-${history.length}.png`)
    await writeTrainingCurvesPng(history, file, 'Run <1> & co')
    await expectPng(file, 1200, 500)
  })

  it('draws both panels, both series and the axis labels', () => {
    const svg = renderTrainingCurvesSvg(HISTORY, 'Run <1> & co')
    expect(svg).toContain('Run &lt;1&gt; &amp; co')
    for (const text of [
      '>Accuracy<',
      '>Loss<',
      '>epoch<',
      '>accuracy<',
      '>loss<',
      '>training<',
      '>validation<'
    ]) {
      expect(svg).toContain(text)
    }
    // Two lines per panel, one marker per epoch per line (plus one per legend entry).
    expect(svg.match(/<path /g)).toHaveLength(4)
    expect(svg.match(/<circle /g)).toHaveLength(4 * HISTORY.length + 2)
    expect(svg).not.toContain('NaN')
  })

  it('says so when no epochs were recorded', () => {
    expect(renderTrainingCurvesSvg([])).toContain('no epochs recorded')
  })

  it('breaks the line at non-finite values instead of emitting NaN', () => {
    const history = HISTORY.map((h, i) => (i === 1 ? { ...h, val_loss: NaN } : h))
    const svg = renderTrainingCurvesSvg(history)
    expect(svg).not.toContain('NaN')
  })
})

describe('confusion heatmap', () => {
  it('renders a 900x850 PNG', async () => {
    const file = join(dir, 'confusion.png')
    await writeConfusionPng(CM, CLASS_NAMES, file)
    await expectPng(file, 900, 850)
  })

  it('labels both axes with every (escaped) class name and prints every count', () => {
    const svg = renderConfusionSvg(CM, CLASS_NAMES)
    for (const name of CLASS_NAMES) {
      // Each name appears twice: once per axis.
      expect(svg.split(`>${esc(name)}<`)).toHaveLength(3)
    }
    CLASS_NAMES.forEach((_, i) => expect(svg).toContain(`>${900 + i}<`))
    expect(svg.match(/>7</g)).toHaveLength(90)
    expect(svg).toContain('>true class<')
    expect(svg).toContain('>predicted class<')
  })

  it('escapes markup in class names', () => {
    const svg = renderConfusionSvg(
      [
        [1, 0],
        [0, 1]
      ],
      ['<a>', 'b & c']
    )
    expect(svg).toContain('&lt;a&gt;')
    expect(svg).toContain('b &amp; c')
    expect(svg).not.toContain('<a>')
  })

  it('renders a class with no samples without dividing by zero', () => {
    const svg = renderConfusionSvg(
      [
        [3, 0],
        [0, 0]
      ],
      ['x', 'y']
    )
    expect(svg).not.toContain('NaN')
  })

  it('rejects a matrix that does not match the class names', () => {
    expect(() => renderConfusionSvg([[1]], CLASS_NAMES)).toThrow(/10x10/)
  })
})

describe('svg helpers', () => {
  it.each([
    { min: 0, max: 1, expected: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    { min: 0.81, max: 0.9, expected: [0.82, 0.84, 0.86, 0.88, 0.9] },
    { min: 0.2, max: 0.2, expected: [0.2] }
  ])('niceTicks($min, $max)', ({ min, max, expected }) => {
    expect(niceTicks(min, max)).toEqual(expected)
  })

  it('uses dark text on light cells and light text on dark cells', () => {
    expect(isDark(blues(0))).toBe(false)
    expect(isDark(blues(1))).toBe(true)
  })
})
