// The dataset a command or the studio works on: Fashion-MNIST (the default) or an imported one, in
// the same shape (FashionMnist), so evaluation, label corrections and fine-tuning take either.
import { loadFashionMnist, type FashionMnist } from '../data/fashion-mnist'
import { FASHION_MNIST_DATASET } from '../labels/label-store'
import { loadImportedDataset, type DatasetManifest } from './imported-dataset'

export interface DatasetSource {
  /** 'fashion-mnist' or the imported dataset's name: its label journal is labels/<id>.jsonl. */
  id: string
  kind: 'fashion-mnist' | 'imported'
  dir: string
  data: FashionMnist
  manifest: DatasetManifest | null
}

/** Fashion-MNIST from `dataDir` when `dataset` is absent (or 'fashion-mnist'), else the imported one. */
export async function openDataset(o: {
  workspace: string
  dataDir: string
  dataset?: string
}): Promise<DatasetSource> {
  if (!o.dataset || o.dataset === FASHION_MNIST_DATASET) {
    const data = await loadFashionMnist(o.dataDir)
    return {
      id: FASHION_MNIST_DATASET,
      kind: 'fashion-mnist',
      dir: o.dataDir,
      data,
      manifest: null
    }
  }
  const d = await loadImportedDataset(o.workspace, o.dataset)
  return { id: d.name, kind: 'imported', dir: d.dir, data: d.data, manifest: d.manifest }
}
