/**
 * Keyboard shortcuts of the grading desk (pure: event → action).
 *
 * Shortcuts are ignored while typing in an input, a textarea, a select or
 * an editable element, except Ctrl/⌘+S (save) and Escape (cancel).
 */
export type Tool = 'select' | 'rect' | 'ink' | 'tick' | 'cross' | 'text'

export type ShortcutAction =
  | { kind: 'page'; delta: 1 | -1 }
  | { kind: 'tool'; tool: Tool }
  | { kind: 'next-question' }
  | { kind: 'save' }
  | { kind: 'escape' }
  | { kind: 'help' }
  | { kind: 'delete' }

export interface ShortcutHelp {
  keys: string[]
  label: string
}

export const SHORTCUTS: ShortcutHelp[] = [
  { keys: ['←', 'PageUp'], label: 'Previous page' },
  { keys: ['→', 'PageDown'], label: 'Next page' },
  { keys: ['s'], label: 'Select tool' },
  { keys: ['r'], label: 'Rectangle' },
  { keys: ['i'], label: 'Ink (free hand)' },
  { keys: ['v'], label: 'Tick' },
  { keys: ['x'], label: 'Cross' },
  { keys: ['t'], label: 'Text comment' },
  { keys: ['Delete'], label: 'Delete the selected annotation' },
  { keys: ['n'], label: 'Next question (focus its score)' },
  { keys: ['Ctrl/⌘ + S'], label: 'Save the scores now' },
  { keys: ['Esc'], label: 'Cancel the current tool or dialog' },
  { keys: ['?'], label: 'Show / hide this help' },
]

const TOOL_KEYS: Record<string, Tool> = { s: 'select', r: 'rect', i: 'ink', v: 'tick', x: 'cross', t: 'text' }

/** True when the event comes from a place where keys are text. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false
  const el = target as HTMLElement
  const tag = el.tagName.toLowerCase()
  if (tag === 'textarea' || tag === 'select') return true
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase()
    return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes(type)
  }
  return el.isContentEditable === true || el.getAttribute?.('contenteditable') === 'true'
}

type KeyLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'target'> & { isComposing?: boolean }

export function shortcutFor(event: KeyLike): ShortcutAction | null {
  if (event.isComposing) return null
  const key = event.key
  const mod = event.ctrlKey || event.metaKey
  if (mod && !event.altKey && (key === 's' || key === 'S')) return { kind: 'save' }
  if (key === 'Escape') return { kind: 'escape' }
  if (isTypingTarget(event.target)) return null
  if (mod || event.altKey) return null
  switch (key) {
    case 'ArrowLeft':
    case 'PageUp':
      return { kind: 'page', delta: -1 }
    case 'ArrowRight':
    case 'PageDown':
      return { kind: 'page', delta: 1 }
    case '?':
      return { kind: 'help' }
    case 'Delete':
    case 'Backspace':
      return { kind: 'delete' }
    case 'n':
    case 'N':
      return { kind: 'next-question' }
  }
  const tool = TOOL_KEYS[key.length === 1 ? key.toLowerCase() : '']
  if (tool && !event.shiftKey) return { kind: 'tool', tool }
  return null
}
