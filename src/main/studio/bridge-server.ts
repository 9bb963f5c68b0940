// The loopback bridge: the studio's API over HTTP for the real renderer running in a browser
// (`fashion-studio studio --browser`, and the end-to-end tests in Chromium). It binds 127.0.0.1 only,
// and every API request must carry the random token printed in the URL, so other local users' pages
// cannot drive the engine. It also serves the built renderer (out/renderer).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyReply } from 'fastify'
import { isStudioChannel, STUDIO_EVENTS } from '@shared/studio-api'
import { ModelDirError } from '../engine/models/model-dir'
import { StudioArgsError, type StudioService } from './studio-service'

export interface BridgeOptions {
  service: StudioService
  /** Folder of the built renderer (index.html and assets). */
  rendererDir: string
  port?: number
  /** Fixed token (tests); a random one otherwise. */
  token?: string
}

export interface Bridge {
  url: string
  /** The URL to open: carries the token once; the page keeps it and removes it from the address bar. */
  openUrl: string
  token: string
  close(): Promise<void>
}

/** Starts the bridge on 127.0.0.1 and resolves once it listens. */
export async function startBridge(o: BridgeOptions): Promise<Bridge> {
  if (!existsSync(`${o.rendererDir}/index.html`)) {
    throw new Error(
      `the renderer is not built (${o.rendererDir}/index.html missing): run \`npm run build\``
    )
  }
  const token = o.token ?? randomBytes(24).toString('hex')
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 })
  const streams = new Set<FastifyReply>()
  const authorized = (given: string | undefined): boolean => {
    const a = Buffer.from(given ?? '')
    const b = Buffer.from(token)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  // Every error, fastify's own (malformed JSON, body too large) included, as { error } JSON.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    void reply.code(err.statusCode ?? 500).send({ error: err.message })
  })
  await app.register(fastifyStatic, { root: o.rendererDir, index: 'index.html' })

  // The token is checked before anything else (body parsing included) for every API route.
  // Server-sent events: EventSource cannot send headers, so there the token comes in the query.
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/')) return
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const query = (req.query as { token?: string }).token
    if (!authorized(bearer ?? query))
      return reply.code(401).send({ error: 'missing or wrong token' })
  })

  app.post<{ Params: { channel: string } }>('/api/call/:channel', async (req, reply) => {
    const channel = req.params.channel
    if (!isStudioChannel(channel))
      return reply.code(404).send({ error: `unknown channel ${channel}` })
    try {
      return { result: (await o.service.call(channel, req.body ?? {})) ?? null }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      const status = err instanceof StudioArgsError ? 400 : err instanceof ModelDirError ? 404 : 500
      return reply.code(status).send({ error: message })
    }
  })

  // Server-sent events: EventSource cannot send headers, so the token comes in the query string.
  app.get<{ Querystring: { token?: string } }>('/api/events', (req, reply) => {
    if (!authorized(req.query.token))
      return reply.code(401).send({ error: 'missing or wrong token' })
    reply.hijack()
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive'
    })
    reply.raw.write(': connected\n\n')
    streams.add(reply)
    req.raw.on('close', () => streams.delete(reply))
  })

  const unsubscribers = STUDIO_EVENTS.map((event) =>
    o.service.on(event, (payload) => {
      const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`
      for (const s of streams) s.raw.write(frame)
    })
  )

  await app.listen({ host: '127.0.0.1', port: o.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : o.port
  const url = `http://127.0.0.1:${port}/`
  return {
    url,
    openUrl: `${url}?token=${token}`,
    token,
    close: async () => {
      unsubscribers.forEach((u) => u())
      for (const s of streams) s.raw.end()
      streams.clear()
      await app.close()
    }
  }
}
