// Serving a model over HTTP from the studio: the same server as `fashion-studio serve`, on
// 127.0.0.1, sharing the studio's worker. One model at a time; starting another replaces it.
import type { ServingState } from '@shared/studio-api'
import type { EngineName } from '../engine/inference/engines'
import { readModelDir } from '../engine/models/model-dir'
import type { TrainingHost } from '../engine/worker/host'
import { preprocessForServing } from '../serve/image-pipeline'
import { startModelServer, type ModelServer } from '../serve/server'

/** TensorFlow Serving's REST port, tried first so clients' defaults work. */
const DEFAULT_PORT = 8501

export class StudioServing {
  private server: ModelServer | undefined
  state: ServingState | null = null

  constructor(private readonly host: TrainingHost) {}

  async start(
    modelDir: string,
    modelId: string,
    port = DEFAULT_PORT,
    engine: EngineName = 'tfjs'
  ): Promise<ServingState> {
    await this.stop()
    const model = await readModelDir(modelDir)
    const name = 'fashion'
    try {
      this.server = await startModelServer({
        host: this.host,
        model,
        engine,
        name,
        port,
        preprocessImage: preprocessForServing
      })
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'EADDRINUSE') {
        throw new Error(`port ${port} is already in use: choose another port`, { cause: err })
      }
      throw err
    }
    const base = `${this.server.url}/v1/models/${name}`
    this.state = {
      modelId,
      name,
      url: this.server.url,
      predictUrl: `${base}:predict`,
      imageUrl: `${base}:classify-image`,
      startedAt: new Date().toISOString(),
      engine
    }
    return this.state
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    this.state = null
    await server?.close()
  }
}
