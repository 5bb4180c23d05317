import { describe, expect, it } from 'vitest'
import { isTypingTarget, shortcutFor } from '../src/lib/shortcuts'

function key(k: string, target: EventTarget | null = document.body, mods: Partial<KeyboardEvent> = {}) {
  return { key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, target, ...mods }
}

describe('keyboard shortcuts', () => {
  it('maps keys to desk actions', () => {
    expect(shortcutFor(key('ArrowRight'))).toEqual({ kind: 'page', delta: 1 })
    expect(shortcutFor(key('PageDown'))).toEqual({ kind: 'page', delta: 1 })
    expect(shortcutFor(key('ArrowLeft'))).toEqual({ kind: 'page', delta: -1 })
    expect(shortcutFor(key('PageUp'))).toEqual({ kind: 'page', delta: -1 })
    expect(shortcutFor(key('r'))).toEqual({ kind: 'tool', tool: 'rect' })
    expect(shortcutFor(key('i'))).toEqual({ kind: 'tool', tool: 'ink' })
    expect(shortcutFor(key('v'))).toEqual({ kind: 'tool', tool: 'tick' })
    expect(shortcutFor(key('x'))).toEqual({ kind: 'tool', tool: 'cross' })
    expect(shortcutFor(key('t'))).toEqual({ kind: 'tool', tool: 'text' })
    expect(shortcutFor(key('s'))).toEqual({ kind: 'tool', tool: 'select' })
    expect(shortcutFor(key('n'))).toEqual({ kind: 'next-question' })
    expect(shortcutFor(key('?', document.body, { shiftKey: true }))).toEqual({ kind: 'help' })
    expect(shortcutFor(key('Delete'))).toEqual({ kind: 'delete' })
    expect(shortcutFor(key('s', document.body, { ctrlKey: true }))).toEqual({ kind: 'save' })
    expect(shortcutFor(key('s', document.body, { metaKey: true }))).toEqual({ kind: 'save' })
    expect(shortcutFor(key('Escape'))).toEqual({ kind: 'escape' })
    // Browser shortcuts stay the browser's.
    expect(shortcutFor(key('r', document.body, { ctrlKey: true }))).toBeNull()
    expect(shortcutFor(key('q'))).toBeNull()
  })

  it('ignores shortcuts while typing, except Ctrl/⌘+S and Escape', () => {
    const input = document.createElement('input')
    const number = document.createElement('input')
    number.type = 'number'
    const textarea = document.createElement('textarea')
    const select = document.createElement('select')
    const checkbox = document.createElement('input')
    checkbox.type = 'checkbox'
    const editable = document.createElement('div')
    editable.setAttribute('contenteditable', 'true')
    for (const target of [input, number, textarea, select, editable]) {
      expect(isTypingTarget(target)).toBe(true)
      for (const k of ['r', 'i', 'v', 'x', 't', 's', 'n', '?', 'ArrowLeft', 'ArrowRight', 'PageDown', 'Delete', 'Backspace']) {
        expect(shortcutFor(key(k, target))).toBeNull()
      }
      expect(shortcutFor(key('s', target, { ctrlKey: true }))).toEqual({ kind: 'save' })
      expect(shortcutFor(key('Escape', target))).toEqual({ kind: 'escape' })
    }
    expect(isTypingTarget(checkbox)).toBe(false)
    expect(isTypingTarget(document.createElement('button'))).toBe(false)
    expect(shortcutFor({ ...key('r'), isComposing: true })).toBeNull()
  })
})

describe('keyboard shortcuts of the grading loop', () => {
  it('finalise and next, next copy, undo / redo, fit, band and the bank numbers', () => {
    expect(shortcutFor(key('Enter', document.body, { ctrlKey: true }))).toEqual({ kind: 'finalise-next' })
    expect(shortcutFor(key('Enter', document.body, { metaKey: true }))).toEqual({ kind: 'finalise-next' })
    expect(shortcutFor(key('Enter'))).toBeNull()
    expect(shortcutFor(key('N', document.body, { shiftKey: true }))).toEqual({ kind: 'next-copy' })
    expect(shortcutFor(key('z', document.body, { ctrlKey: true }))).toEqual({ kind: 'undo' })
    expect(shortcutFor(key('Z', document.body, { ctrlKey: true, shiftKey: true }))).toEqual({ kind: 'redo' })
    expect(shortcutFor(key('y', document.body, { ctrlKey: true }))).toEqual({ kind: 'redo' })
    expect(shortcutFor(key('f'))).toEqual({ kind: 'fit' })
    expect(shortcutFor(key('b'))).toEqual({ kind: 'band' })
    expect(shortcutFor(key('3'))).toEqual({ kind: 'digit', n: 3 })
    expect(shortcutFor(key('0'))).toBeNull()
  })

  it('in a field: Ctrl/⌘+Enter still finalises; undo, digits and letters stay the field\'s', () => {
    const input = document.createElement('input')
    expect(shortcutFor(key('Enter', input, { ctrlKey: true }))).toEqual({ kind: 'finalise-next' })
    expect(shortcutFor(key('z', input, { ctrlKey: true }))).toBeNull()
    expect(shortcutFor(key('3', input))).toBeNull()
    expect(shortcutFor(key('N', input, { shiftKey: true }))).toBeNull()
    expect(shortcutFor(key('f', input))).toBeNull()
  })
})
