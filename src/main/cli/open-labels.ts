// Opening the workspace's label journal for a command, against the dataset it reads.
import type { FashionMnist } from '../engine/data/fashion-mnist'
import { openDataset } from '../engine/datasets/dataset-source'
import { LabelStore } from '../engine/labels/label-store'
import { locations } from './options'

interface Flags {
  data?: string
  workspace?: string
  /** An imported dataset (its own journal, labels/<name>.jsonl); Fashion-MNIST when absent. */
  dataset?: string
}

/** Opens the workspace's journal against the dataset (tells of a torn line it cut away). */
export async function openStore(flags: Flags): Promise<LabelStore> {
  return (await openLabels(flags)).store
}

export async function openLabels(
  flags: Flags
): Promise<{ store: LabelStore; data: FashionMnist; workspace: string }> {
  const { workspace, dataDir } = locations(flags)
  const source = await openDataset({ workspace, dataDir, dataset: flags.dataset })
  const data = source.data
  const store = await LabelStore.open(workspace, data, { datasetId: source.id })
  const r = store.status().recovery
  if (r) {
    process.stderr.write(
      `recovered ${store.journal.file}: cut away a torn last line (${r.droppedBytes} bytes) left by an interrupted write; no saved correction was lost\n`
    )
  }
  return { store, data, workspace }
}
