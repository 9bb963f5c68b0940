// Locating and loading the Fashion-MNIST dataset (the four gzip'd IDX files) into typed arrays.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { IMAGE_SIZE, NUM_CLASSES } from '@shared/classes'
import { DatasetError, parseIdxImages, parseIdxLabels, readIdxGz } from './idx'

/** File names of the dataset, as published by Zalando Research (and the Debian package). */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz'
} as const

export type FashionMnistFile = (typeof FASHION_MNIST_FILES)[keyof typeof FASHION_MNIST_FILES]

/** Where the Debian package `fashion-mnist` installs the dataset. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'

export interface Split {
  /** count * 784 pixels, 0..255, row-major. */
  images: Uint8Array
  /** count labels, 0..9. */
  labels: Uint8Array
  count: number
}

export interface FashionMnist {
  dir: string
  train: Split
  test: Split
}

/** Picks the dataset folder: flag, then $FASHION_MNIST_DIR, then Debian copy, then workspace. */
export function resolveDataDir(options: {
  flag?: string
  workspace: string
  /** Overrides DEBIAN_FASHION_MNIST_DIR, so tests do not depend on what the machine has. */
  debianDir?: string
}): string {
  if (options.flag) return resolve(options.flag)
  const fromEnv = process.env.FASHION_MNIST_DIR
  if (fromEnv) return resolve(fromEnv)
  const debian = options.debianDir ?? DEBIAN_FASHION_MNIST_DIR
  // Only a complete Debian copy counts: a partial one would shadow a good workspace download.
  if (missingFiles(debian).length === 0) return debian
  return resolve(options.workspace, 'datasets', 'fashion-mnist')
}

/** Names of the dataset files absent from `dir` (empty when all four are there). */
export function missingFiles(dir: string): string[] {
  return Object.values(FASHION_MNIST_FILES).filter((name) => !existsSync(join(dir, name)))
}

/** Reads and validates the four dataset files in `dir` (in parallel). */
export async function loadFashionMnist(dir: string): Promise<FashionMnist> {
  const missing = missingFiles(dir)
  const [firstMissing] = missing
  if (firstMissing !== undefined) {
    // One error listing every absent file beats fixing them one run at a time.
    const others = missing.length > 1 ? ` (also missing: ${missing.slice(1).join(', ')})` : ''
    throw new DatasetError(join(dir, firstMissing), `file not found${others}`)
  }
  const f = FASHION_MNIST_FILES
  const [train, test] = await Promise.all([
    loadSplit(join(dir, f.trainImages), join(dir, f.trainLabels)),
    loadSplit(join(dir, f.testImages), join(dir, f.testLabels))
  ])
  return { dir, train, test }
}

/** Loads one images/labels pair and checks that they fit together. */
async function loadSplit(imagesFile: string, labelsFile: string): Promise<Split> {
  const [imageBytes, labelBytes] = await Promise.all([readIdxGz(imagesFile), readIdxGz(labelsFile)])
  const { count, rows, cols, pixels } = parseIdxImages(imageBytes, imagesFile)
  if (rows !== IMAGE_SIZE || cols !== IMAGE_SIZE) {
    throw new DatasetError(
      imagesFile,
      `images are ${rows}x${cols}, expected ${IMAGE_SIZE}x${IMAGE_SIZE}`
    )
  }
  const labels = parseIdxLabels(labelBytes, labelsFile)
  if (labels.length !== count) {
    throw new DatasetError(
      imagesFile,
      `has ${count} images but ${labelsFile} has ${labels.length} labels`
    )
  }
  const bad = labels.findIndex((label) => label >= NUM_CLASSES)
  if (bad !== -1) {
    throw new DatasetError(
      labelsFile,
      `label ${labels[bad]} at index ${bad} is out of range 0..${NUM_CLASSES - 1}`
    )
  }
  return { images: pixels, labels, count }
}
