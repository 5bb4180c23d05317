/**
 * The desk's keyboard: one window `keydown` listener that turns keys into
 * desk actions (`lib/shortcuts.ts` decides which key is which), and moving
 * between the score fields (n, Enter, Tab, Shift+Tab). Esc in a field leaves
 * it and gives the focus back to the page.
 */
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import { isTypingTarget, shortcutFor, type ShortcutAction, type Tool } from '../../lib/shortcuts'

export interface DeskKeyHandlers {
  /** A dialog (finalise, help) is open: only save, escape and help go through. */
  modal: () => boolean
  editable: () => boolean
  save: () => void
  escape: () => void
  toggleHelp: () => void
  /** The finalise dialog is open (help does not toggle over it). */
  finalising: () => boolean
  page: (delta: 1 | -1) => void
  tool: (tool: Tool) => void
  deleteSelected: () => boolean
  finaliseNext: () => void
  nextCopy: () => void
  undo: () => void
  redo: () => void
  fit: () => void
  band: () => void
  /** A number key; returns true when it was used (comment bank with the text tool). */
  digit: (n: number) => boolean
}

/** The score inputs of the desk, in question order. */
function scoreInputs(): HTMLInputElement[] {
  return Array.from(document.querySelectorAll<HTMLInputElement>('[data-testid="score-input"]'))
}

/** Focuses (and selects) a score input. */
export function focusScore(input: HTMLElement | null | undefined): void {
  if (!input) return
  input.focus()
  ;(input as HTMLInputElement).select?.()
  input.scrollIntoView?.({ block: 'nearest' })
}

/** The page viewer takes the focus back (Esc from a field). */
export function focusPage(): void {
  document.querySelector<HTMLElement>('[data-testid="page-scroll"]')?.focus({ preventScroll: true })
}

export function useDeskKeyboard(handlers: DeskKeyHandlers) {
  /** The question whose score had the focus last ("n" goes on from there). */
  const lastLeafFocused: Ref<string | null> = ref(null)

  function onFocusIn(event: FocusEvent): void {
    const el = event.target as HTMLElement | null
    if (el?.dataset?.testid === 'score-input' && el.dataset.nodeId) lastLeafFocused.value = el.dataset.nodeId
  }

  /** The next (or previous) question's score, wrapping around for "n". */
  function focusQuestion(delta: 1 | -1, wrap = true): boolean {
    const inputs = scoreInputs()
    if (inputs.length === 0) return false
    const i = inputs.findIndex((el) => el.dataset.nodeId === lastLeafFocused.value)
    let next = i === -1 ? (delta > 0 ? 0 : inputs.length - 1) : i + delta
    if (next < 0 || next >= inputs.length) {
      if (!wrap) return false
      next = (next + inputs.length) % inputs.length
    }
    const input = inputs[next]!
    focusScore(input)
    lastLeafFocused.value = input.dataset.nodeId ?? null
    return true
  }

  function run(action: ShortcutAction, event: KeyboardEvent): void {
    const h = handlers
    switch (action.kind) {
      case 'save':
        event.preventDefault()
        if (!h.modal()) h.save()
        return
      case 'finalise-next':
        event.preventDefault()
        if (!h.modal()) h.finaliseNext()
        return
      case 'escape':
        if (!h.modal() && isTypingTarget(event.target) && (event.target as HTMLElement).id !== 'annotation-text') {
          ;(event.target as HTMLElement).blur?.()
          focusPage()
          return
        }
        h.escape()
        return
      case 'help':
        if (h.finalising()) return
        event.preventDefault()
        h.toggleHelp()
        return
    }
    if (h.modal()) return
    switch (action.kind) {
      case 'page':
        event.preventDefault()
        h.page(action.delta)
        break
      case 'tool':
        if (h.editable()) {
          event.preventDefault()
          h.tool(action.tool)
        }
        break
      case 'next-question':
        event.preventDefault()
        focusQuestion(1)
        break
      case 'delete':
        if (h.deleteSelected()) event.preventDefault()
        break
      case 'next-copy':
        event.preventDefault()
        h.nextCopy()
        break
      case 'undo':
        event.preventDefault()
        h.undo()
        break
      case 'redo':
        event.preventDefault()
        h.redo()
        break
      case 'fit':
        event.preventDefault()
        h.fit()
        break
      case 'band':
        event.preventDefault()
        h.band()
        break
      case 'digit':
        if (h.digit(action.n)) event.preventDefault()
        break
    }
  }

  function onKeydown(event: KeyboardEvent): void {
    const action = shortcutFor(event)
    if (action) run(action, event)
  }

  onMounted(() => window.addEventListener('keydown', onKeydown))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown))

  return { lastLeafFocused, onFocusIn, focusQuestion }
}
