import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** Where models and downloaded datasets live: FASHION_STUDIO_WORKSPACE, else ~/FashionStudio. */
export function defaultWorkspace(): string {
  return resolve(process.env.FASHION_STUDIO_WORKSPACE ?? join(homedir(), 'FashionStudio'))
}

export function modelsDir(workspace: string): string {
  return join(workspace, 'models')
}
