// Fashion-MNIST: Debian's dataset-fashion-mnist package where apt exists; elsewhere the command line
// downloads the four files with checksum verification on first use (`fashion-studio data download`).
import { existsSync } from 'node:fs'
import { tryRun } from './log.mjs'

const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
const FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz'
]

export async function ensureDataset() {
  const dir = process.env.FASHION_MNIST_DIR ?? DEBIAN_DIR
  if (FILES.every((f) => existsSync(`${dir}/${f}`))) return 'ok'
  if (process.platform === 'linux' && existsSync('/usr/bin/apt-get') && process.getuid?.() === 0) {
    console.log('   installing Debian package dataset-fashion-mnist ...')
    tryRun('apt-get', ['update', '-qq'])
    const res = tryRun('apt-get', ['install', '-y', '-qq', 'dataset-fashion-mnist'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    })
    if (res.ok && FILES.every((f) => existsSync(`${DEBIAN_DIR}/${f}`))) return 'ok'
  }
  return `Fashion-MNIST is not in ${dir}. Run \`npx fashion-studio data download\` to fetch it into the workspace (checksums verified), or point FASHION_MNIST_DIR at a folder with the four IDX files.`
}
