/**
 * Editable marking-scheme tree (exercise → question → sub-question …).
 *
 * - Leaves carry points (typed as text: "1,5" and "1.5" are both accepted),
 *   above 0 with at most two decimals (1.4 is fine: the desk always allows a
 *   leaf's full marks besides quarter points); a parent's points are always
 *   derived (the sum of its children).
 * - `id` is the stable id the server gave the node; it is sent back on every
 *   save so that scores keyed by node id survive edits. New nodes have none.
 * - `key` is a client-only identity for rendering and error placement.
 * - Paths are 1-based and dotted ("1", "1.2", "1.2.3"), like the server's `path`.
 */
import type { SchemeNode, SchemeNodeInput } from '../api/exams'
import { t } from '../i18n'
import { formatPoints, parseDecimal } from './format'

export const MAX_DEPTH = 4
/** A leaf's points: above 0, at most this, with at most two decimals (the server's rule). */
export const MAX_LEAF_POINTS = 1000

export interface EditNode {
  key: string
  id: string | null
  label: string
  /** The text of the points input (leaves only; ignored on parents). */
  points: string
  children: EditNode[]
}

let seq = 0

function nextKey(): string {
  seq += 1
  return `n${seq}`
}

export function newNode(label = '', points = ''): EditNode {
  return { key: nextKey(), id: null, label, points, children: [] }
}

export function isLeaf(node: EditNode): boolean {
  return node.children.length === 0
}

export function fromServer(nodes: readonly SchemeNode[] | null | undefined): EditNode[] {
  return (nodes ?? []).map((n) => {
    const children = fromServer(n.children ?? [])
    return {
      key: nextKey(),
      id: n.id === undefined || n.id === null || n.id === '' ? null : String(n.id),
      label: n.label ?? '',
      points: children.length === 0 && typeof n.points === 'number' ? formatPoints(n.points) : '',
      children,
    }
  })
}

/** "1,5", "1.5" and "1 000" → numbers; null when it is not a plain non-negative decimal number. */
export function parsePoints(text: string): number | null {
  const n = parseDecimal(text)
  return n === null || n < 0 || !Number.isFinite(n) ? null : n
}

/** Rounds to hundredths so that 0.1 + 0.2 shows (and compares) as 0.3. */
function round(n: number): number {
  return Math.round(n * 100) / 100
}

/** Points of a node: its own (leaf, 0 when not a valid number) or the sum of its children. */
export function nodeTotal(node: EditNode): number {
  if (isLeaf(node)) return parsePoints(node.points) ?? 0
  return round(node.children.reduce((sum, c) => sum + nodeTotal(c), 0))
}

export function grandTotal(nodes: readonly EditNode[]): number {
  return round(nodes.reduce((sum, n) => sum + nodeTotal(n), 0))
}

/** The body of `PUT /marking-scheme`: leaves with points, parents with children and no points. */
export function toPayload(nodes: readonly EditNode[]): SchemeNodeInput[] {
  return nodes.map((n) => {
    const out: SchemeNodeInput = n.id ? { id: n.id, label: n.label.trim() } : { label: n.label.trim() }
    if (isLeaf(n)) out.points = parsePoints(n.points) ?? 0
    else out.children = toPayload(n.children)
    return out
  })
}

// ---------------------------------------------------------------------------
// Edits (they mutate the tree in place: it lives in a Vue reactive array)
// ---------------------------------------------------------------------------

/** Label proposed for a new node: "Exercice 3", "Question 2", then "a)", "b)"… */
export function defaultLabel(depth: number, position: number): string {
  if (depth <= 1) return t('scheme.defaultExercise', { position })
  if (depth === 2) return t('scheme.defaultQuestion', { position })
  return `${String.fromCharCode(96 + Math.min(Math.max(position, 1), 26))})`
}

/**
 * Adds a child at the end. A leaf that becomes a parent hands its points to
 * its first child, so the total does not jump.
 */
export function addChild(parent: EditNode, depthOfParent: number): EditNode | null {
  if (depthOfParent >= MAX_DEPTH) return null
  const inherited = isLeaf(parent) ? parent.points : ''
  const child = newNode(defaultLabel(depthOfParent + 1, parent.children.length + 1), inherited)
  parent.children.push(child)
  parent.points = ''
  return child
}

/** Inserts a new sibling right after `siblings[index]`. */
export function addSiblingAfter(siblings: EditNode[], index: number, depth: number): EditNode {
  const node = newNode(defaultLabel(depth, siblings.length + 1))
  siblings.splice(index + 1, 0, node)
  return node
}

/**
 * Removes `siblings[index]`. When the parent loses its last child it becomes
 * a leaf again and keeps the points it had.
 */
export function removeAt(siblings: EditNode[], index: number, parent: EditNode | null): EditNode | null {
  if (index < 0 || index >= siblings.length) return null
  const before = parent ? nodeTotal(parent) : 0
  const [removed] = siblings.splice(index, 1)
  if (parent && parent.children.length === 0) {
    parent.points = before > 0 ? formatPoints(before) : ''
  }
  return removed ?? null
}

/** Moves `siblings[index]` by `delta` (-1 up, +1 down); false when it cannot move. */
export function moveAt(siblings: EditNode[], index: number, delta: -1 | 1): boolean {
  const target = index + delta
  if (index < 0 || index >= siblings.length || target < 0 || target >= siblings.length) return false
  const [node] = siblings.splice(index, 1)
  if (!node) return false
  siblings.splice(target, 0, node)
  return true
}

// ---------------------------------------------------------------------------
// Lookup and validation
// ---------------------------------------------------------------------------

export interface NodeRef {
  node: EditNode
  path: string
  depth: number
}

/** Every node in display order with its 1-based dotted path. */
export function flatten(nodes: readonly EditNode[], prefix = '', depth = 1): NodeRef[] {
  const out: NodeRef[] = []
  nodes.forEach((node, i) => {
    const path = prefix ? `${prefix}.${i + 1}` : String(i + 1)
    out.push({ node, path, depth })
    out.push(...flatten(node.children, path, depth + 1))
  })
  return out
}

/**
 * Key of the node a server error names: by stable id first, then by path in
 * the tree that was sent (`sentPaths`: path → key, taken at save time).
 */
export function findErrorKey(
  nodes: readonly EditNode[],
  target: { nodeId: string | null; path: string | null },
  sentPaths?: ReadonlyMap<string, string>,
): string | null {
  if (target.nodeId !== null) {
    const byId = flatten(nodes).find((r) => r.node.id === target.nodeId)
    if (byId) return byId.node.key
  }
  if (target.path !== null) {
    const path = target.path.trim()
    const fromSent = sentPaths?.get(path)
    if (fromSent) return fromSent
    const byPath = flatten(nodes).find((r) => r.path === path)
    if (byPath) return byPath.node.key
  }
  return null
}

export function pathIndex(nodes: readonly EditNode[]): Map<string, string> {
  return new Map(flatten(nodes).map((r) => [r.path, r.node.key]))
}

/** Client-side checks before saving: key → message. The server validates again. */
export function validate(nodes: readonly EditNode[]): Map<string, string> {
  const errors = new Map<string, string>()
  for (const { node, depth } of flatten(nodes)) {
    if (node.label.trim() === '') {
      errors.set(node.key, t('scheme.check.label'))
    } else if (depth > MAX_DEPTH) {
      errors.set(node.key, t('scheme.check.depth', { max: MAX_DEPTH }))
    } else if (isLeaf(node)) {
      const p = parsePoints(node.points)
      if (node.points.trim() === '') errors.set(node.key, t('scheme.check.pointsMissing'))
      else if (p === null) errors.set(node.key, t('scheme.check.pointsNumber'))
      else if (p <= 0) errors.set(node.key, t('scheme.check.pointsPositive'))
      else if (p > MAX_LEAF_POINTS) errors.set(node.key, t('scheme.check.pointsMax', { max: MAX_LEAF_POINTS }))
      else if (!/^\d+(\.\d{1,2})?$/.test(String(p))) errors.set(node.key, t('scheme.check.pointsDecimals'))
    }
  }
  return errors
}

/** A stable text form of the tree, to tell whether there are unsaved changes. */
export function snapshot(nodes: readonly EditNode[]): string {
  const strip = (list: readonly EditNode[]): unknown[] =>
    list.map((n) => [n.id, n.label.trim(), isLeaf(n) ? (parsePoints(n.points) ?? n.points.trim()) : null, strip(n.children)])
  return JSON.stringify(strip(nodes))
}
