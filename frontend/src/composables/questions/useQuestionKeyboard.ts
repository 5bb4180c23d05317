/**
 * The question desk's keys (one window `keydown` listener):
 * 1–9 apply / remove the n-th rubric item (outside text fields); Ctrl/⌘+Enter validates and opens
 * the next copy (in fields too); → / ← (or n / p) the next / previous copy still to grade;
 * Esc leaves a field.
 */
import { onBeforeUnmount, onMounted } from 'vue'
import { isTypingTarget } from '../../lib/shortcuts'

export interface QuestionKeyHandlers {
  digit: (n: number) => boolean
  validateNext: () => void
  move: (delta: 1 | -1) => void
  /** A dialog or form has the keyboard: only Ctrl/⌘+Enter goes through. */
  busy?: () => boolean
}

/** What a key does on the desk, or null (exported for the tests). */
export function questionKeyAction(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'target'>,
): { kind: 'validate' } | { kind: 'digit'; n: number } | { kind: 'move'; delta: 1 | -1 } | { kind: 'blur' } | null {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) return { kind: 'validate' }
  if (isTypingTarget(e.target)) return e.key === 'Escape' ? { kind: 'blur' } : null
  if (e.ctrlKey || e.metaKey || e.altKey) return null
  if (/^[1-9]$/.test(e.key)) return { kind: 'digit', n: Number(e.key) }
  if (e.key === 'ArrowRight' || e.key === 'n') return { kind: 'move', delta: 1 }
  if (e.key === 'ArrowLeft' || e.key === 'p') return { kind: 'move', delta: -1 }
  return null
}

export function useQuestionKeyboard(h: QuestionKeyHandlers) {
  function onKeydown(e: KeyboardEvent): void {
    if (e.defaultPrevented || (e as KeyboardEvent & { isComposing?: boolean }).isComposing) return
    const action = questionKeyAction(e)
    if (!action) return
    if (action.kind === 'validate') {
      e.preventDefault()
      h.validateNext()
      return
    }
    if (action.kind === 'blur') {
      ;(e.target as HTMLElement).blur?.()
      return
    }
    if (h.busy?.()) return
    if (action.kind === 'digit') {
      if (h.digit(action.n)) e.preventDefault()
    } else {
      e.preventDefault()
      h.move(action.delta)
    }
  }
  onMounted(() => window.addEventListener('keydown', onKeydown))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown))
}
