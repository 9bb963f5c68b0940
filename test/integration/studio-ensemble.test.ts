// The studio's "Create ensemble" on the real engine: two small seed models trained on real
// Fashion-MNIST, combined through the service (the CLI's code path), evaluated and listed.
// Bad inputs tried: one model, the same model twice, an ensemble as a member, a member naming its
// classes differently, a member reading another input shape, a name already taken, a name that
// would leave the models folder, a member deleted meanwhile, a training run while an ensemble is
// being made. Each is a StudioArgsError (400 on the bridge) and leaves the models folder as it was.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMAGE_PIXELS } from '@shared/classes'
import type { ModelDetail, ModelSummary } from '@shared/studio-api'
import { SEED_PRESET } from '@shared/training'
import { runExperiment } from '../../src/main/engine/experiment'
import { readModelDir } from '../../src/main/engine/models/model-dir'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { StudioArgsError, StudioService } from '../../src/main/studio/studio-service'
import { realData, realDataDir, WORKER_FILE } from '../helpers/real-data'

let workspace: string
let models: string
let host: TrainingHost
let service: StudioService
const members: string[] = []

const create = (args: unknown): Promise<ModelSummary> =>
  service.call('models:create-ensemble', args) as Promise<ModelSummary>

/** A member's copy with its metadata edited (another class order, another input). */
async function variant(from: string, name: string, edit: (m: Record<string, unknown>) => void) {
  await cp(join(models, from), join(models, name), { recursive: true })
  const file = join(models, name, 'metadata.json')
  const meta = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  edit(meta)
  await writeFile(file, JSON.stringify(meta))
  return name
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'fs-ensemble-'))
  models = join(workspace, 'models')
  host = new TrainingHost({ workerFile: WORKER_FILE })
  const data = await realData()
  // Two small dense models, different seeds: seconds each.
  for (const seed of [0, 1]) {
    const run = await runExperiment({
      host,
      config: { ...SEED_PRESET, epochs: 1, hiddenUnits: [32], seed },
      dataDir: realDataDir(),
      data,
      modelsDir: models,
      trainLimit: 12000
    })
    members.push(run.metadata.id)
  }
  service = new StudioService({ workspace, dataDir: realDataDir(), host })
}, 120_000)
afterAll(async () => {
  await service?.close()
  await rm(workspace, { recursive: true, force: true })
})

describe('models:create-ensemble', () => {
  it('combines two models into one averaging them, evaluated, listed and opened like any model', async () => {
    const made = await create({ modelIds: members, name: 'pair' })
    expect(made.id).toBe('pair')
    expect(made.preset).toBe('ensemble')
    expect(made.members?.map((m) => m.id)).toEqual(members)
    expect(made.metrics.testAccuracy).toBeGreaterThan(0.75)

    const list = (await service.call('models:list', {})) as ModelSummary[]
    expect(list.find((m) => m.id === 'pair')?.metrics.testAccuracy).toBe(made.metrics.testAccuracy)
    const detail = (await service.call('models:get', { modelId: 'pair' })) as ModelDetail
    expect(detail.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000)
    expect(detail.report.accuracy).toBe(made.metrics.testAccuracy)
    expect(detail.summary.members).toHaveLength(2)

    // Its probabilities are its members' averaged, image by image.
    const images = (await realData()).test.images.subarray(0, 40 * IMAGE_PIXELS)
    const [e, a, b] = await Promise.all(
      ['pair', ...members].map(async (id) =>
        host.predict((await readModelDir(join(models, id))).artifacts, images)
      )
    )
    e!.forEach((p, i) => expect(p).toBeCloseTo((a![i]! + b![i]!) / 2, 5))
  })

  it('makes up a name when none is given', async () => {
    const made = await create({ modelIds: [...members].reverse() })
    expect(made.id).toMatch(/^ensemble-/)
    expect(made.members?.map((m) => m.id)).toEqual([...members].reverse())
    await rm(join(models, made.id), { recursive: true })
  })

  describe('refuses a bad choice with a clear message, writing nothing', () => {
    let relabelled: string
    let reshaped: string
    let deleted: string

    beforeAll(async () => {
      relabelled = await variant(members[0]!, 'relabelled', (m) => {
        const classes = m.classes as string[]
        m.classes = [classes[1], classes[0], ...classes.slice(2)]
      })
      reshaped = await variant(members[0]!, 'reshaped', (m) => {
        m.input = { ...(m.input as object), shape: [28, 28, 1] }
      })
      deleted = await variant(members[1]!, 'deleted-meanwhile', () => undefined)
      await rm(join(models, deleted), { recursive: true })
    })

    it.each([
      ['fewer than 2 models', () => ({ modelIds: [members[0]] }), /choose at least 2 models/],
      ['the same model twice', () => ({ modelIds: [members[0], members[0]] }), /each model once/],
      [
        'an ensemble as a member (as the CLI: refused, not flattened)',
        () => ({ modelIds: ['pair', members[0]] }),
        /pair is itself an ensemble of 2 models: choose its members instead/
      ],
      [
        'members whose classes differ',
        () => ({ modelIds: [members[0], relabelled] }),
        /relabelled names class 0 "Trouser" where .* names it "T-shirt\/top": members must predict the same classes/
      ],
      [
        'members whose input shapes differ',
        () => ({ modelIds: [reshaped, members[1]] }),
        /reshaped reads input of shape \[28, 28, 1\], not \[784\]/
      ],
      [
        'a name already taken',
        () => ({ modelIds: members, name: 'pair' }),
        /"pair" already exists/
      ],
      ['a name leaving the folder', () => ({ modelIds: members, name: '../pair' }), /invalid name/],
      [
        'a member deleted meanwhile',
        () => ({ modelIds: [members[0], deleted] }),
        /"deleted-meanwhile" no longer exists \(deleted\?\)/
      ]
    ])('%s', async (_, args, message) => {
      const before = (await readdir(models)).sort()
      const refused = create(args())
      await expect(refused).rejects.toThrow(message)
      await expect(refused).rejects.toBeInstanceOf(StudioArgsError)
      expect((await readdir(models)).sort()).toEqual(before)
    })
  })

  it('is one job at a time with training: neither starts while the other runs', async () => {
    const making = create({ modelIds: members, name: 'while-busy' })
    await expect(
      service.call('training:start', { datasetId: 'fashion-mnist', config: SEED_PRESET })
    ).rejects.toThrow(/an ensemble is being created: wait for it/)
    await expect(making).resolves.toMatchObject({ id: 'while-busy' })
  })
})
