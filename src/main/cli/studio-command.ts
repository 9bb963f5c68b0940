import { join } from 'node:path'
import type { Command } from 'commander'
import { startBridge } from '../studio/bridge-server'
import { StudioService } from '../studio/studio-service'
import { intOption, locationsWithData } from './options'

interface StudioFlags {
  browser?: boolean
  port?: number
  data?: string
  workspace?: string
}

export function registerStudioCommand(program: Command): void {
  program
    .command('studio')
    .description(
      'open the studio; --browser serves it to a web browser on 127.0.0.1 instead of the desktop window'
    )
    .option(
      '--browser',
      'serve the studio on 127.0.0.1 for a web browser (needs no Electron binary)'
    )
    .option('--port <n>', 'port for --browser (default: a free one)', intOption(1, 65535))
    .option('--data <dir>', 'Fashion-MNIST folder')
    .option('--workspace <dir>', 'workspace folder')
    .action(async (flags: StudioFlags) => studio(flags))
}

async function studio(flags: StudioFlags): Promise<void> {
  if (!flags.browser) {
    throw new Error(
      'the desktop window opens with `npm start`; use `fashion-studio studio --browser` for the browser mode'
    )
  }
  const { workspace, dataDir } = await locationsWithData(flags)
  const service = new StudioService({ workspace, dataDir })
  // out/main/cli.js -> out/renderer
  const bridge = await startBridge({
    service,
    rendererDir: join(__dirname, '..', 'renderer'),
    port: flags.port
  })
  process.stdout.write(
    `Fashion Studio is running at ${bridge.openUrl}\n(open it in a browser; Ctrl-C to stop)\n`
  )
  const stop = async (): Promise<void> => {
    process.stderr.write('\nstopping (a running training job is cancelled)...\n')
    await bridge.close()
    await service.close()
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => void stop().then(resolve))
    process.once('SIGTERM', () => void stop().then(resolve))
  })
}
