// Tests train on the real Fashion-MNIST (Debian's copy, or FASHION_MNIST_DIR), never on noise.
import { resolve } from 'node:path'
import { IMAGE_PIXELS } from '@shared/classes'
import {
  loadFashionMnist,
  resolveDataDir,
  type FashionMnist
} from '../../src/main/engine/data/fashion-mnist'

let cached: Promise<FashionMnist> | undefined

export function realDataDir(): string {
  return resolveDataDir({ workspace: resolve('workspace') })
}

/** The dataset, loaded once per test file. */
export function realData(): Promise<FashionMnist> {
  cached ??= loadFashionMnist(realDataDir())
  return cached
}

/** The first n training images and labels. */
export async function firstTrainImages(
  n: number
): Promise<{ images: Uint8Array; labels: Uint8Array }> {
  const d = await realData()
  return { images: d.train.images.slice(0, n * IMAGE_PIXELS), labels: d.train.labels.slice(0, n) }
}

/** Absolute path of the built training worker (tests run against the real build). */
export const WORKER_FILE = resolve('out/main/training-worker.js')
