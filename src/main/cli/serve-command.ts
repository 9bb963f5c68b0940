import { basename, resolve } from 'node:path'
import type { Command } from 'commander'
import type { EngineName } from '../engine/inference/engines'
import { readModelDir } from '../engine/models/model-dir'
import { TrainingHost } from '../engine/worker/host'
import { preprocessForServing } from '../serve/image-pipeline'
import { isLoopback, MODEL_NAME, startModelServer } from '../serve/server'
import { engineOption, intOption } from './options'

interface ServeFlags {
  model: string
  name?: string
  host: string
  port: number
  allowRemote?: boolean
  token?: string
  maxBatch: number
  batchDelayMs: number
  maxQueue: number
  quiet?: boolean
  engine: EngineName
  tta?: boolean
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      "serve a model over HTTP with TensorFlow Serving's REST API (and an image endpoint)"
    )
    .requiredOption('--model <dir>', 'model directory written by `train` or the studio')
    .option('--name <name>', 'model name in the URLs (default: from the model directory)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (TensorFlow Serving uses 8501)', intOption(0, 65535), 8501)
    .option('--allow-remote', 'allow listening beyond loopback (then a bearer token is required)')
    .option('--token <token>', 'bearer token clients must send (default: random when remote)')
    .option('--max-batch <n>', 'images per batch in the worker', intOption(1, 4096), 256)
    .option(
      '--batch-delay-ms <n>',
      'with the worker idle, wait this long to fill a batch (0: send at once)',
      intOption(0, 1000),
      0
    )
    .option(
      '--max-queue <n>',
      'images waiting at most; beyond, 503 with Retry-After',
      intOption(1, 1_000_000),
      8192
    )
    .option('--quiet', 'no request log')
    .addOption(engineOption())
    .option(
      '--tta',
      'test-time augmentation: average with the mirrored image (models trained with --flip)'
    )
    .action(async (flags: ServeFlags) => serve(flags))
}

async function serve(flags: ServeFlags): Promise<void> {
  const model = await readModelDir(resolve(flags.model))
  const name = flags.name ?? defaultName(model.metadata.preset, basename(model.dir))
  const token = flags.token ?? process.env.FASHION_STUDIO_SERVE_TOKEN
  if (!isLoopback(flags.host) && flags.allowRemote && !token) {
    process.stderr.write('no --token given: a random bearer token is generated below\n')
  }
  // The training worker (TensorFlow) only for the tfjs engine: onnx runs in a worker of its own.
  const host = flags.engine === 'tfjs' ? new TrainingHost() : undefined
  const backend = await host?.backend()
  if (backend?.warning) process.stderr.write(`WARNING: ${backend.warning}\n`)
  const server = await startModelServer({
    host,
    model,
    engine: flags.engine,
    tta: flags.tta,
    name,
    bindHost: flags.host,
    port: flags.port,
    allowRemote: flags.allowRemote,
    token,
    maxBatch: flags.maxBatch,
    maxDelayMs: flags.batchDelayMs,
    maxQueue: flags.maxQueue,
    log: !flags.quiet,
    preprocessImage: preprocessForServing
  }).catch(async (err: unknown) => {
    await host?.close()
    throw err
  })
  const base = `${server.url}/v1/models/${name}`
  process.stdout.write(
    [
      `serving ${model.dir} as "${name}" on ${backend ? `tfjs (${backend.name})` : 'onnxruntime'}`,
      `  predict:  POST ${base}:predict   {"instances": [[784 values in 0..1], ...]}`,
      `  image:    POST ${base}:classify-image   (JPEG/PNG/WebP body)`,
      `  status:   GET  ${base}    metadata: GET ${base}/metadata`,
      `  health:   GET  ${server.url}/healthz   ready: ${server.url}/readyz   OpenAPI: ${server.url}/openapi.json`,
      ...(server.token ? [`  bearer token: ${server.token}`] : []),
      'ready (Ctrl-C to stop)',
      ''
    ].join('\n')
  )
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.stderr.write('\nstopping...\n')
      void server
        .close()
        .then(() => host?.close())
        .then(done)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

/** "seed" for a model from `train`; a model name in URLs must be plain. */
function defaultName(preset: string, dirName: string): string {
  return MODEL_NAME.test(preset) ? preset : dirName.replace(/[^A-Za-z0-9._-]/g, '-')
}
