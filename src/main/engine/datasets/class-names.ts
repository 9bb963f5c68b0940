// Which Fashion-MNIST class a folder of photos is, from its name: people name their folders
// "tees", "Jeans" or "ankle_boots", not "T-shirt/top". Matching ignores case, spaces, dashes,
// underscores and a plural "s"; anything not recognised is left for the user to map.
import { CLASS_NAMES } from '@shared/classes'

/** Folder-name spellings per class (after normalising; see normaliseName). */
const SYNONYMS: readonly (readonly string[])[] = [
  ['tshirttop', 'tshirt', 'tee', 'top', 'teeshirt', 'tank', 'tanktop'],
  ['trouser', 'pant', 'jean', 'slack', 'chino', 'legging'],
  ['pullover', 'sweater', 'jumper', 'hoodie', 'sweatshirt', 'cardigan'],
  ['dress', 'gown'],
  ['coat', 'jacket', 'parka', 'blazer', 'anorak'],
  ['sandal', 'flipflop', 'slide'],
  ['shirt', 'blouse', 'buttondown'],
  ['sneaker', 'trainer', 'runningshoe'],
  ['bag', 'handbag', 'purse', 'backpack', 'tote'],
  ['ankleboot', 'boot', 'bootie']
]

/** "T-Shirts", "t_shirt", "T shirt" -> "tshirt"; "Ankle Boots" -> "ankleboot". */
export function normaliseName(name: string): string {
  const flat = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
  // Plurals: "dresses" -> "dress", "jeans" -> "jean", "boots" -> "boot" (but "dress" stays).
  if (flat.endsWith('sses')) return flat.slice(0, -2)
  return flat.endsWith('s') && !flat.endsWith('ss') ? flat.slice(0, -1) : flat
}

const BY_NAME = new Map<string, number>()
SYNONYMS.forEach((names, label) => names.forEach((n) => BY_NAME.set(n, label)))
// The class names themselves ("T-shirt/top" -> "tshirttop") and their numbers ("0".."9").
CLASS_NAMES.forEach((name, label) => {
  BY_NAME.set(normaliseName(name), label)
  BY_NAME.set(String(label), label)
})

/** The class a folder name stands for, or null when it is not one we know. */
export function classForFolderName(name: string): number | null {
  return BY_NAME.get(normaliseName(name)) ?? null
}

/**
 * A class as the user typed it in a mapping ("T-shirt/top", "tshirt", "3", "ankle boot"): the same
 * spellings as folder names. Null when unknown.
 */
export function parseClassName(text: string): number | null {
  return classForFolderName(text.trim())
}
