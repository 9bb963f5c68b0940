// Downloads against a local HTTP server that plays Zalando's role with the Debian copies.
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downloadFashionMnist, type DownloadProgress } from '../../src/main/engine/data/download'
import {
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_FILES,
  loadFashionMnist
} from '../../src/main/engine/data/fashion-mnist'
import { DatasetError } from '../../src/main/engine/data/idx'

const NAMES = Object.values(FASHION_MNIST_FILES)
const TRAIN_IMAGES_SHA256 = 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888'
const haveDebian = NAMES.every((name) => existsSync(join(DEBIAN_FASHION_MNIST_DIR, name)))

/**
 * Routes: /good/<name> the Debian file; /corrupt/<name> a valid gzip of the content with one byte
 * flipped; /html/<name> a 200 HTML page; /slow/<name> the first 64 KiB, then nothing;
 * anything else 404.
 */
function startServer(): Promise<{ server: Server; base: string; requests: string[] }> {
  const requests: string[] = []
  const corrupted = new Map<string, Buffer>()
  const server = createServer((req, res) => {
    const url = req.url ?? ''
    requests.push(url)
    const [, route, name = ''] = url.split('/')
    const file = join(DEBIAN_FASHION_MNIST_DIR, name)
    if (!NAMES.includes(name as (typeof NAMES)[number])) {
      res.writeHead(404).end('not found')
    } else if (route === 'good') {
      const body = readFileSync(file)
      res.writeHead(200, { 'content-length': body.length }).end(body)
    } else if (route === 'corrupt') {
      let body = corrupted.get(name)
      if (!body) {
        const raw = gunzipSync(readFileSync(file))
        raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 0xff
        body = gzipSync(raw, { level: 1 })
        corrupted.set(name, body)
      }
      res.writeHead(200, { 'content-length': body.length }).end(body)
    } else if (route === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Access denied</html>')
    } else if (route === 'slow') {
      res
        .writeHead(200, { 'content-length': 1_000_000 })
        .write(readFileSync(file).subarray(0, 65536))
    } else {
      res.writeHead(404).end('not found')
    }
  })
  return new Promise((done) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      done({ server, base: `http://127.0.0.1:${port}`, requests })
    })
  })
}

/** Awaits `promise` and returns the DatasetError it rejects with. */
async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(DatasetError)
  return err as DatasetError
}

describe.skipIf(!haveDebian)(
  `downloadFashionMnist (skipped when ${DEBIAN_FASHION_MNIST_DIR} is absent)`,
  () => {
    let server: Server
    let base = ''
    let requests: string[] = []
    let root = ''
    const freshDir = (name: string): string => join(root, name)

    beforeAll(async () => {
      ;({ server, base, requests } = await startServer())
      root = await mkdtemp(join(tmpdir(), 'download-test-'))
    })

    afterAll(async () => {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
      await rm(root, { recursive: true, force: true })
    })

    describe('from a good server', () => {
      const dir = (): string => freshDir('good')

      it('downloads all four files with progress, and they load', async () => {
        const events: DownloadProgress[] = []
        await downloadFashionMnist({
          dir: dir(),
          baseUrl: `${base}/good/`,
          onProgress: (p) => events.push({ ...p })
        })
        expect((await readdir(dir())).sort()).toEqual([...NAMES].sort())
        for (const name of NAMES) {
          const size = (await stat(join(DEBIAN_FASHION_MNIST_DIR, name))).size
          const mine = events.filter((e) => e.file === name)
          expect(mine[0]).toEqual({ file: name, received: 0, total: size })
          expect(mine.at(-1)).toEqual({ file: name, received: size, total: size })
          const received = mine.map((e) => e.received)
          expect(received).toEqual([...received].sort((a, b) => a - b))
        }
        const data = await loadFashionMnist(dir())
        expect(data.train.count).toBe(60000)
        expect(data.test.count).toBe(10000)
        expect(data.train.labels[0]).toBe(9)
      })

      it('skips files already present and valid on a second call (no requests made)', async () => {
        const before = requests.length
        const events: DownloadProgress[] = []
        await downloadFashionMnist({
          dir: dir(),
          baseUrl: `${base}/good/`,
          onProgress: (p) => events.push(p)
        })
        expect(requests.length).toBe(before)
        expect(events).toEqual([])
      })

      it('re-downloads only an invalid existing file (train labels overwritten)', async () => {
        await writeFile(join(dir(), FASHION_MNIST_FILES.trainLabels), 'garbage')
        const before = requests.length
        // No trailing slash: the base URL is normalised.
        await downloadFashionMnist({ dir: dir(), baseUrl: `${base}/good` })
        expect(requests.slice(before)).toEqual([`/good/${FASHION_MNIST_FILES.trainLabels}`])
        expect((await loadFashionMnist(dir())).train.labels[0]).toBe(9)
        expect((await readdir(dir())).sort()).toEqual([...NAMES].sort())
      })
    })

    it('rejects a corrupted file with "checksum mismatch" and leaves nothing behind', async () => {
      const dir = freshDir('corrupt')
      const err = await rejection(downloadFashionMnist({ dir, baseUrl: `${base}/corrupt/` }))
      const first = FASHION_MNIST_FILES.trainImages
      expect(err.file).toBe(join(dir, first))
      const prefix = `checksum mismatch: expected ${TRAIN_IMAGES_SHA256}, got `
      const suffix = ` (downloaded from ${base}/corrupt/${first})`
      expect(err.problem.startsWith(prefix), err.problem).toBe(true)
      expect(err.problem.endsWith(suffix), err.problem).toBe(true)
      const got = err.problem.slice(prefix.length, -suffix.length)
      expect(got).toMatch(/^[0-9a-f]{64}$/)
      expect(got).not.toBe(TRAIN_IMAGES_SHA256)
      expect(await readdir(dir)).toEqual([])
    })

    it('rejects an HTTP 404 with the status and URL, and leaves nothing behind', async () => {
      const dir = freshDir('missing')
      const url = `${base}/missing/${FASHION_MNIST_FILES.trainImages}`
      const err = await rejection(downloadFashionMnist({ dir, baseUrl: `${base}/missing/` }))
      expect(err.file).toBe(join(dir, FASHION_MNIST_FILES.trainImages))
      expect(err.problem).toBe(`HTTP 404 from ${url}`)
      expect(err.message).toBe(
        `${join(dir, FASHION_MNIST_FILES.trainImages)}: HTTP 404 from ${url}`
      )
      expect(await readdir(dir)).toEqual([])
    })

    it('rejects an HTML page served as 200 (not gzip) and leaves nothing behind', async () => {
      const dir = freshDir('html')
      const err = await rejection(downloadFashionMnist({ dir, baseUrl: `${base}/html/` }))
      expect(err.problem).toMatch(/^not a valid gzip file: /)
      expect(await readdir(dir)).toEqual([])
    })

    it('rejects a refused connection (network error) and leaves nothing behind', async () => {
      const dir = freshDir('refused')
      // Port 1 on loopback is closed on any sane test machine.
      const err = await rejection(downloadFashionMnist({ dir, baseUrl: 'http://127.0.0.1:1/' }))
      expect(err.problem).toMatch(/^download from http:\/\/127\.0\.0\.1:1\/\S+ failed: .+/)
      expect(await readdir(dir)).toEqual([])
    })

    it('rejects an abort mid-download and leaves no .part file', async () => {
      const dir = freshDir('aborted')
      const controller = new AbortController()
      const err = await rejection(
        downloadFashionMnist({
          dir,
          baseUrl: `${base}/slow/`,
          signal: controller.signal,
          // Abort once bytes have arrived, so a .part file exists when the abort lands.
          onProgress: (p) => p.received > 0 && controller.abort()
        })
      )
      expect(err.problem).toBe('download aborted')
      expect(await readdir(dir)).toEqual([])
    })

    it('rejects an already-aborted signal before any request', async () => {
      const dir = freshDir('pre-aborted')
      const before = requests.length
      const err = await rejection(
        downloadFashionMnist({ dir, baseUrl: `${base}/good/`, signal: AbortSignal.abort() })
      )
      expect(err.problem).toBe('download aborted')
      expect(requests.length).toBe(before)
      expect(await readdir(dir)).toEqual([])
    })
  }
)
