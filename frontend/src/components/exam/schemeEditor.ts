/** What the marking-scheme editor shares with its (recursive) node rows. */
import type { ComputedRef, InjectionKey } from 'vue'
import type { EditNode } from '../../lib/markingScheme'

export interface SchemeEditorContext {
  /** key → message, for the node rows (client checks and the server's answer). */
  errors: ComputedRef<ReadonlyMap<string, string>>
  disabled: ComputedRef<boolean>
  addChild(node: EditNode, depth: number): void
  addSibling(siblings: EditNode[], index: number, depth: number): void
  remove(siblings: EditNode[], index: number, parent: EditNode | null): void
  move(siblings: EditNode[], index: number, delta: -1 | 1): void
}

export const schemeEditorKey: InjectionKey<SchemeEditorContext> = Symbol('scheme-editor')
