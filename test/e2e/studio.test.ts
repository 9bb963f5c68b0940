// End to end: the real, built renderer in Debian's Chromium, against the real engine through the
// loopback bridge (the Electron binary cannot be had on these machines). One walk through the main
// story, screenshots of each view in test-results/screenshots/ (look at them after UI changes).
// Bad input tried: an out-of-range epoch count in the Train form; cancel mid-run.
// Then the label corrections: relabel with the keyboard in the dataset grid's viewer and in the
// drill-down, undo/redo, the history with a filter and the CSV download, the review queue walked
// with the keyboard, and a fine-tune with live progress and its before/after.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type Bridge } from '../../src/main/studio/bridge-server'
import { StudioService } from '../../src/main/studio/studio-service'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { realDataDir, WORKER_FILE } from '../helpers/real-data'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = resolve('test-results/screenshots')

let workspace: string
let service: StudioService
let bridge: Bridge
let browser: Browser
let page: Page
const consoleErrors: string[] = []

const byId = (id: string) => page.getByTestId(id)
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run npm run setup`)
  await mkdir(SHOTS, { recursive: true })
  workspace = await mkdtemp(join(tmpdir(), 'fs-e2e-'))
  service = new StudioService({
    workspace,
    dataDir: realDataDir(),
    host: new TrainingHost({ workerFile: WORKER_FILE })
  })
  bridge = await startBridge({ service, rendererDir: resolve('out/renderer') })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  page = await browser.newPage({ viewport: { width: 1440, height: 960 }, reducedMotion: 'reduce' })
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
  page.on('pageerror', (e) => consoleErrors.push(e.message))
  await page.goto(bridge.openUrl)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await bridge?.close()
  await service?.close()
  await rm(workspace, { recursive: true, force: true })
})

describe('studio in a real browser', () => {
  it('runs sandboxed: no Node in the page, and the token is removed from the address bar', async () => {
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
      'undefined'
    )
    expect(page.url()).not.toContain('token=')
    // The worker loads TensorFlow first: seconds on a busy 2-core machine.
    await expect
      .poll(() => byId('backend-badge').textContent(), { timeout: 20_000 })
      .toMatch(/tensorflow/)
  })

  it('shows the dataset: counts chart, thumbnails, class filter and paging', async () => {
    await byId('nav-datasets').click()
    await byId('class-count-chart').waitFor()
    await expect.poll(() => byId('thumb').count()).toBeGreaterThan(20)
    await shot('01-datasets')
    await byId('class-filter').selectOption('9')
    await expect
      .poll(
        async () =>
          new Set(
            await byId('thumb').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')))
          ).size === 1 && (await byId('thumb').first().getAttribute('data-label'))
      )
      .toBe('9')
    const before = await byId('page-info').textContent()
    await byId('page-next').click()
    await expect.poll(() => byId('page-info').textContent()).not.toBe(before)
    await byId('thumb').first().click()
    await byId('image-viewer').waitFor()
    await shot('02-dataset-image')
    await byId('viewer-close').click()
  })

  it('rejects an out-of-range epoch count with a message', async () => {
    await byId('nav-train').click()
    await byId('input-epochs').fill('0')
    await expect.poll(() => byId('field-error').count()).toBeGreaterThan(0)
    expect(await byId('train-start').isDisabled()).toBe(true)
    await shot('03-train-invalid')
  })

  it('trains with a live chart that moves during the epoch, then opens the model', async () => {
    await byId('input-epochs').fill('3')
    await expect.poll(() => byId('field-error').count()).toBe(0)
    await byId('train-start').click()
    // Points appear while the first epoch is still running.
    await expect
      .poll(async () => Number(await byId('live-chart').getAttribute('data-points')), {
        timeout: 30_000
      })
      .toBeGreaterThan(2)
    await shot('04-training-live')
    await expect
      .poll(() => byId('training-status').textContent(), { timeout: 90_000 })
      .toMatch(/done/i)
    await shot('05-training-done')
    await byId('open-model').click()
    await byId('report-table').waitFor()
    await byId('training-curves').waitFor()
    await expect.poll(() => byId('confusion-cell').count()).toBe(100)
    await shot('06-model')
  })

  it.each([
    [6, 0],
    [8, 8]
  ])('opens confusion cell (true %i, predicted %i) on exactly its test images', async (t, p) => {
    const cell = page.locator(`[data-testid="confusion-cell"][data-true="${t}"][data-pred="${p}"]`)
    const count = Number((await cell.textContent())?.trim())
    await cell.click()
    await byId('cell-gallery').waitFor()
    await expect.poll(() => byId('gallery-item').count()).toBe(count)
    const state = (await service.call('training:get-state', {})) as { modelId: string }
    const truth = (await service.call('models:get-cell', {
      modelId: state.modelId,
      trueClass: t,
      predictedClass: p
    })) as { items: { index: number }[] }
    const shown = await byId('gallery-item').evaluateAll((els) =>
      els.map((e) => Number(e.getAttribute('data-index')))
    )
    expect(new Set(shown)).toEqual(new Set(truth.items.slice(0, shown.length).map((i) => i.index)))
    await byId('gallery-sort').selectOption('asc')
    const confidences = await byId('gallery-item').evaluateAll((els) =>
      els.map((e) => Number(e.getAttribute('data-confidence')))
    )
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b))
    await shot(`07-drilldown-${t}-${p}`)
    await byId('gallery-item').first().click()
    await byId('image-viewer').waitFor()
    await shot(`08-viewer-${t}-${p}`)
    await byId('viewer-close').click()
    await byId('gallery-close').click()
  })

  it('exports the open model for Keras and ONNX from the model view', async () => {
    await byId('export-onnx').click()
    await expect.poll(() => byId('export-result').textContent()).toMatch(/\.onnx/)
    await byId('export-keras').click()
    await expect.poll(() => byId('export-result').textContent()).toMatch(/\.keras/)
    const path = /(\/\S+\.keras)/.exec((await byId('export-result').textContent()) ?? '')?.[1]
    expect(path && existsSync(path)).toBe(true)
  })

  it('serves the open model over HTTP from the model view, on the engine chosen (onnx)', async () => {
    await byId('serve-engine').selectOption('onnx')
    await byId('serve-panel').scrollIntoViewIfNeeded()
    await shot('08a-serve-engine')
    await byId('serve-start').click()
    await expect.poll(() => byId('serve-engine-used').textContent()).toMatch(/ONNX Runtime/)
    const predictUrl = (await byId('serve-predict-url').textContent())!.trim()
    expect(predictUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/models\/fashion:predict$/)
    const res = await fetch(predictUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [new Array(784).fill(0)] })
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { predictions: number[][] }).predictions[0]).toHaveLength(10)
    await byId('serve-panel').scrollIntoViewIfNeeded()
    await shot('08b-serving')
    await byId('serve-stop').click()
    await byId('serve-start').waitFor()
    await expect(fetch(predictUrl, { method: 'POST', body: '{}' })).rejects.toThrow()
  })

  it('cancels a run and keeps working', async () => {
    await byId('nav-train').click()
    await byId('input-epochs').fill('50')
    await byId('train-start').click()
    await expect
      .poll(async () => Number(await byId('live-chart').getAttribute('data-points')), {
        timeout: 30_000
      })
      .toBeGreaterThan(0)
    await byId('train-cancel').click()
    await expect
      .poll(() => byId('training-status').textContent(), { timeout: 30_000 })
      .toMatch(/cancel/i)
    await shot('09-cancelled')
    await byId('nav-models').click()
    await expect.poll(() => byId('model-row').count()).toBe(1)
  })

  it('relabels from the dataset grid with the keyboard, with undo and redo', async () => {
    await byId('nav-datasets').click()
    await byId('class-filter').selectOption('')
    await byId('split-select').selectOption('train')
    await expect.poll(() => byId('thumb').first().getAttribute('data-index')).toBe('0')
    await byId('thumb').nth(5).click()
    await byId('image-viewer').waitFor()
    // Training image 5 is a Pullover; 6 makes it a Shirt, saved once the engine has it on disk.
    await page.keyboard.press('6')
    await expect.poll(() => byId('label-saved').getAttribute('data-seq')).toBe('1')
    expect(await byId('viewer-label').textContent()).toMatch(/Shirt/)
    expect(await byId('viewer-original').textContent()).toMatch(/corrected from Pullover/)
    await shot('10-relabel-viewer')
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => byId('image-viewer').getAttribute('data-index')).toBe('6')
    await page.keyboard.press('x')
    await expect.poll(() => byId('viewer-mark').textContent()).toMatch(/excluded/)
    await page.keyboard.press('Control+z')
    await expect.poll(() => byId('viewer-mark').count()).toBe(0)
    await page.keyboard.press('Control+Shift+Z')
    await expect.poll(() => byId('viewer-mark').count()).toBe(1)
    await page.keyboard.press('a') // ambiguous replaces excluded
    await expect.poll(() => byId('viewer-mark').textContent()).toMatch(/ambiguous/)
    await byId('viewer-close').click()
    const thumb = page.locator('[data-testid="thumb"][data-index="5"]')
    expect(await thumb.getAttribute('data-label')).toBe('6')
    expect(await thumb.getAttribute('data-original-label')).toBe('2')
    await expect.poll(() => byId('dataset-corrections').textContent()).toMatch(/1 relabelled/)
    await shot('11-dataset-badges')
    const status = (await service.call('labels:status', { datasetId: 'fashion-mnist' })) as {
      entries: number
      relabelled: number
      ambiguous: number
    }
    expect(status).toMatchObject({ entries: 5, relabelled: 1, ambiguous: 1 })
  })

  it('relabels a test image from the drill-down gallery', async () => {
    await byId('nav-models').click()
    await byId('confusion-cell').first().waitFor()
    await page.locator('[data-testid="confusion-cell"][data-true="6"][data-pred="0"]').click()
    await byId('cell-gallery').waitFor()
    await byId('gallery-item').first().click()
    await byId('image-viewer').waitFor()
    await byId('set-label-0').click()
    await expect.poll(() => byId('label-saved').getAttribute('data-seq')).toBe('6')
    expect(await byId('viewer-label').textContent()).toMatch(/T-shirt\/top/)
    await shot('12-relabel-drilldown')
    await byId('viewer-close').click()
    await expect.poll(() => byId('correction-badge').count()).toBe(1)
    await byId('gallery-close').click()
  })

  it('lists the corrections with a filter and downloads them as CSV', async () => {
    await byId('nav-corrections').click()
    await expect.poll(() => byId('history-row').count()).toBe(6)
    expect(await byId('history-row').first().getAttribute('data-seq')).toBe('6')
    await byId('history-split').selectOption('test')
    await expect.poll(() => byId('history-row').count()).toBe(1)
    await byId('history-split').selectOption('')
    await byId('history-in-force').check()
    await expect.poll(() => byId('history-row').count()).toBe(4)
    await byId('history-in-force').uncheck()
    await expect.poll(() => byId('history-row').count()).toBe(6)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      byId('export-csv').click()
    ])
    const csv = await readFile((await download.path())!, 'utf8')
    expect(download.suggestedFilename()).toMatch(/^label-corrections-.*\.csv$/)
    expect(csv.trimEnd().split('\r\n')).toHaveLength(7)
    expect(csv).toMatch(/\r\n1,[^,]+,set,,train,5,2,Pullover,,6,Shirt,,manual,no\r\n/)
    await shot('13-corrections')
  })

  it('walks the review queue with the keyboard only', async () => {
    await byId('nav-review').click()
    await byId('suggestions-folds').fill('2')
    await byId('suggestions-epochs').fill('1')
    await byId('suggestions-start').click()
    await expect
      .poll(() => byId('suggestions-status').getAttribute('data-status'), { timeout: 60_000 })
      .toBe('done')
    await byId('review-item').waitFor()
    await shot('14-review-queue')
    const first = await byId('review-item').getAttribute('data-index')
    const suggested = await byId('review-suggested').getAttribute('data-label')
    await page.keyboard.press('Enter')
    await expect.poll(() => byId('review-saved').getAttribute('data-seq')).toBe('7')
    await expect.poll(() => byId('review-position').textContent()).toMatch(/^\s*2 of/)
    const image = (await service.call('datasets:get-image', {
      datasetId: 'fashion-mnist',
      split: 'train',
      index: Number(first)
    })) as { label: number }
    expect(String(image.label)).toBe(suggested)
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => byId('review-position').textContent()).toMatch(/^\s*3 of/)
    await page.keyboard.press('x')
    await expect.poll(() => byId('review-saved').getAttribute('data-seq')).toBe('8')
    await page.keyboard.press('ArrowLeft')
    await page.keyboard.press('ArrowLeft')
    await page.keyboard.press('ArrowLeft')
    await expect.poll(() => byId('review-current').textContent()).toMatch(/Now:/)
    await shot('15-review-queue-walked')
  })

  it('fine-tunes the model on the corrections with live progress, then shows before and after', async () => {
    await byId('nav-models').click()
    await byId('finetune-panel').waitFor()
    const parentId = await byId('model-detail').getAttribute('data-model-id')
    await byId('finetune-epochs').fill('3')
    await byId('finetune-start').click()
    await expect
      .poll(() => byId('finetune-status').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('training')
    await byId('finetune-panel').scrollIntoViewIfNeeded()
    await shot('16-finetune-live')
    await expect
      .poll(() => byId('finetune-status').getAttribute('data-status'), { timeout: 90_000 })
      .toBe('done')
    await byId('finetune-open').click()
    await byId('finetune-comparison').waitFor()
    expect(await byId('model-detail').getAttribute('data-model-id')).not.toBe(parentId)
    expect(await byId('finetune-parent').textContent()).toContain(parentId!)
    expect(await byId('compare-corrected').textContent()).toMatch(/Corrected images \(3\)/)
    expect(await byId('compare-test-accuracy').textContent()).toMatch(/\d+\.\d+%.*\d+\.\d+%/)
    await shot('17-finetune-comparison')
    await expect.poll(() => byId('model-row').count()).toBe(2)
  })

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([])
  })
})
