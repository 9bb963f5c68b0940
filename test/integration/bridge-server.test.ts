// The loopback bridge over real HTTP, with the real service behind it. Bad requests tried: no token,
// a wrong token (API and event stream), an unknown channel, malformed JSON, invalid arguments, a
// missing model.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEED_PRESET } from '@shared/training'
import { startBridge, type Bridge } from '../../src/main/studio/bridge-server'
import { StudioService } from '../../src/main/studio/studio-service'
import { TrainingHost } from '../../src/main/engine/worker/host'
import { realDataDir, WORKER_FILE } from '../helpers/real-data'

let workspace: string
let service: StudioService
let bridge: Bridge

const post = (path: string, body: string, token: string | undefined = bridge.token) =>
  fetch(`${bridge.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {})
    },
    body
  })

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'fs-bridge-'))
  service = new StudioService({
    workspace,
    dataDir: realDataDir(),
    host: new TrainingHost({ workerFile: WORKER_FILE })
  })
  bridge = await startBridge({ service, rendererDir: resolve('out/renderer') })
})
afterAll(async () => {
  await bridge.close()
  await service.close()
  await rm(workspace, { recursive: true, force: true })
})

describe('bridge', () => {
  it('listens on loopback only and serves the built renderer', async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(bridge.openUrl).toBe(`${bridge.url}?token=${bridge.token}`)
    const page = await fetch(bridge.url)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<div id="app">/)
  })

  it('answers calls with the token', async () => {
    const res = await post('api/call/app:get-info', '{}')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ result: { backend: { name: 'tensorflow' } } })
  })

  it.each([
    ['no token', 'api/call/app:get-info', '{}', '', 401, /missing or wrong token/],
    ['a wrong token', 'api/call/app:get-info', '{}', 'x'.repeat(48), 401, /missing or wrong token/],
    [
      'an unknown channel',
      'api/call/system:shutdown',
      '{}',
      undefined,
      404,
      /unknown channel system:shutdown/
    ],
    ['malformed JSON', 'api/call/app:get-info', '{"a":', undefined, 400, /JSON/i],
    [
      'invalid arguments',
      'api/call/datasets:get-images',
      '{"datasetId":"fashion-mnist","split":"train","label":null,"offset":0,"limit":100000}',
      undefined,
      400,
      /invalid limit/
    ],
    [
      'a missing model',
      'api/call/models:get',
      '{"modelId":"nothing-here"}',
      undefined,
      404,
      /not found/
    ]
  ])('rejects %s with a JSON error', async (_name, path, body, token, status, message) => {
    const res = await post(path, body, token ?? bridge.token)
    expect(res.status).toBe(status)
    expect(((await res.json()) as { error: string }).error).toMatch(message)
  })

  it('refuses the event stream without the token', async () => {
    expect((await fetch(`${bridge.url}api/events?token=wrong`)).status).toBe(401)
  })

  it('streams training state as server-sent events', async () => {
    const controller = new AbortController()
    const res = await fetch(`${bridge.url}api/events?token=${bridge.token}`, {
      signal: controller.signal
    })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    await post(
      'api/call/training:start',
      JSON.stringify({ datasetId: 'fashion-mnist', config: { ...SEED_PRESET, epochs: 1 } })
    )
    let text = ''
    while (!/"status":"done"/.test(text)) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    controller.abort()
    expect(text).toMatch(/event: training:state/)
    expect(text).toMatch(/"status":"training"/)
    expect(text).toMatch(/"status":"done"/)
  })
})
