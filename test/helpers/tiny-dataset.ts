// A tiny Fashion-MNIST-shaped dataset folder (real IDX .gz files, made-up pixels): for tests of the
// label journal and the command line that need a dataset but not the real 70,000 images.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { IMAGE_PIXELS } from '@shared/classes'
import { FASHION_MNIST_FILES } from '../../src/main/engine/data/fashion-mnist'
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from '../../src/main/engine/data/idx'

function idxGz(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length))
  header.setUint32(0, magic)
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d))
  return gzipSync(Buffer.concat([new Uint8Array(header.buffer), data]))
}

/** Writes `train` + `test` images labelled i % 10 (pixels all i % 256) into `dir`. */
export async function writeTinyDataset(dir: string, train = 100, test = 20): Promise<string> {
  await mkdir(dir, { recursive: true })
  const split = async (count: number, images: string, labels: string): Promise<void> => {
    const px = new Uint8Array(count * IMAGE_PIXELS)
    for (let i = 0; i < count; i++) px.fill(i % 256, i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)
    const lb = Uint8Array.from({ length: count }, (_, i) => i % 10)
    await writeFile(join(dir, images), idxGz(IDX_IMAGES_MAGIC, [count, 28, 28], px))
    await writeFile(join(dir, labels), idxGz(IDX_LABELS_MAGIC, [count], lb))
  }
  const f = FASHION_MNIST_FILES
  await split(train, f.trainImages, f.trainLabels)
  await split(test, f.testImages, f.testLabels)
  return dir
}
