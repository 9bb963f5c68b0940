// Window-level keyboard shortcuts for the lifetime of a component (dialogs: Escape, arrows).
import { onBeforeUnmount, onMounted } from 'vue'

export function useKeydown(handler: (event: KeyboardEvent) => void): void {
  onMounted(() => window.addEventListener('keydown', handler))
  onBeforeUnmount(() => window.removeEventListener('keydown', handler))
}
