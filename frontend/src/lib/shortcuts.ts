/**
 * Keyboard shortcuts of the grading desk (pure: event → action).
 *
 * Shortcuts are ignored while typing in an input, a textarea, a select or
 * an editable element (letters are text there, never a tool), except
 * Ctrl/⌘+S (save), Ctrl/⌘+Enter (finalise and next) and Escape (leave the
 * field, cancel). Ctrl/⌘+Z in a field stays the field's own undo.
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
  | { kind: 'finalise-next' }
  | { kind: 'next-copy' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'fit' }
  | { kind: 'band' }
  | { kind: 'digit'; n: number }

export interface ShortcutHelp {
  keys: string[]
  /** `desk.shortcuts.<label>` in the message catalogue. */
  label: string
}

export const SHORTCUTS: ShortcutHelp[] = [
  { keys: ['←', 'PageUp'], label: 'previousPage' },
  { keys: ['→', 'PageDown'], label: 'nextPage' },
  { keys: ['s'], label: 'select' },
  { keys: ['r'], label: 'rect' },
  { keys: ['i'], label: 'ink' },
  { keys: ['v'], label: 'tick' },
  { keys: ['x'], label: 'cross' },
  { keys: ['t'], label: 'text' },
  { keys: ['1 … 9'], label: 'bank' },
  { keys: ['Delete'], label: 'delete' },
  { keys: ['Ctrl/⌘ + Z'], label: 'undo' },
  { keys: ['Ctrl/⌘ + Shift + Z', 'Ctrl + Y'], label: 'redo' },
  { keys: ['n'], label: 'nextQuestion' },
  { keys: ['Enter', 'Tab'], label: 'fieldNext' },
  { keys: ['Shift + Tab'], label: 'fieldPrevious' },
  { keys: ['f'], label: 'fit' },
  { keys: ['b'], label: 'band' },
  { keys: ['Ctrl/⌘ + S'], label: 'save' },
  { keys: ['Ctrl/⌘ + Enter'], label: 'finaliseNext' },
  { keys: ['Shift + N'], label: 'nextCopy' },
  { keys: ['Esc'], label: 'escape' },
  { keys: ['?'], label: 'help' },
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
  if (mod && !event.altKey && !event.shiftKey && key === 'Enter') return { kind: 'finalise-next' }
  if (key === 'Escape') return { kind: 'escape' }
  if (isTypingTarget(event.target)) return null
  if (mod && !event.altKey) {
    if (key === 'z' || key === 'Z') return event.shiftKey ? { kind: 'redo' } : { kind: 'undo' }
    if ((key === 'y' || key === 'Y') && !event.shiftKey) return { kind: 'redo' }
    return null
  }
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
      return { kind: 'next-question' }
    case 'N':
      return event.shiftKey ? { kind: 'next-copy' } : { kind: 'next-question' }
    case 'f':
      return { kind: 'fit' }
    case 'b':
      return { kind: 'band' }
  }
  if (/^[1-9]$/.test(key)) return { kind: 'digit', n: Number(key) }
  const tool = TOOL_KEYS[key.length === 1 ? key.toLowerCase() : '']
  if (tool && !event.shiftKey) return { kind: 'tool', tool }
  return null
}
