// Opening the workspace's label journal for a command, against the dataset it reads.
import { loadFashionMnist, type FashionMnist } from '../engine/data/fashion-mnist'
import { LabelStore } from '../engine/labels/label-store'
import { locations } from './options'

interface Flags {
  data?: string
  workspace?: string
}

/** Opens the workspace's journal against the dataset (tells of a torn line it cut away). */
export async function openStore(flags: Flags): Promise<LabelStore> {
  return (await openLabels(flags)).store
}

export async function openLabels(
  flags: Flags
): Promise<{ store: LabelStore; data: FashionMnist; workspace: string }> {
  const { workspace, dataDir } = locations(flags)
  const data = await loadFashionMnist(dataDir)
  const store = await LabelStore.open(workspace, data)
  const r = store.status().recovery
  if (r) {
    process.stderr.write(
      `recovered ${store.journal.file}: cut away a torn last line (${r.droppedBytes} bytes) left by an interrupted write; no saved correction was lost\n`
    )
  }
  return { store, data, workspace }
}
