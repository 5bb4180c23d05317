/**
 * Sorting the gradebook (pure, tested without rendering): by name, class,
 * group, student number, anonymous id, status, any question or the total.
 * Empty cells (no copy, not scored, not identified) always come last,
 * whatever the direction; ties keep the name order.
 */
import type { GradebookRow } from '../api/results'

/** A sortable column: a fixed one, or `q:<question id>`. */
export type GradebookColumn = 'name' | 'class' | 'group' | 'number' | 'copy' | 'status' | 'total' | `q:${string}`
export type SortDirection = 'asc' | 'desc'

export interface GradebookSort {
  column: GradebookColumn
  direction: SortDirection
}

/** The life-cycle order of the statuses (sorting by status follows the work, not the alphabet). */
export const STATUS_ORDER = ['STAGING', 'READY', 'LOCKED', 'GRADING_IN_PROGRESS', 'GRADING_FAILED', 'GRADED'] as const

const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true })

type Key = string | number | null

function nameOf(row: GradebookRow): string | null {
  return row.student ? `${row.student.last_name} ${row.student.first_name}` : null
}

function keyOf(row: GradebookRow, column: GradebookColumn): Key {
  switch (column) {
    case 'name':
      return nameOf(row)
    case 'class':
      return row.student?.class_name || null
    case 'group':
      return row.student?.group || null
    case 'number':
      return row.student?.student_number || null
    case 'copy':
      return row.copy?.anonymous_id ?? null
    case 'status': {
      if (!row.copy) return null
      const at = (STATUS_ORDER as readonly string[]).indexOf(row.copy.status)
      return at < 0 ? STATUS_ORDER.length : at
    }
    case 'total':
      return row.total
    default:
      return row.scores[column.slice(2)] ?? null
  }
}

function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return collator.compare(String(a), String(b))
}

/** The name order: last name, first name, then anonymous id; unidentified copies last. */
function byName(a: GradebookRow, b: GradebookRow): number {
  const na = nameOf(a)
  const nb = nameOf(b)
  if (na === null || nb === null) {
    if (na !== nb) return na === null ? 1 : -1
  } else {
    const c = compareKeys(na, nb)
    if (c !== 0) return c
  }
  return collator.compare(a.copy?.anonymous_id ?? '', b.copy?.anonymous_id ?? '')
}

/** A sorted copy of `rows` (the input is left as it is). */
export function sortRows(rows: readonly GradebookRow[], sort: GradebookSort): GradebookRow[] {
  const sign = sort.direction === 'asc' ? 1 : -1
  return [...rows].sort((a, b) => {
    const ka = keyOf(a, sort.column)
    const kb = keyOf(b, sort.column)
    if (ka === null || kb === null) {
      if (ka !== kb) return ka === null ? 1 : -1 // empty cells last, both directions
    } else {
      const c = compareKeys(ka, kb)
      if (c !== 0) return sign * c
    }
    return sort.column === 'name' ? sign * byName(a, b) : byName(a, b)
  })
}

/**
 * The sort after a click on `column`'s header: the same column flips its
 * direction; another starts ascending (names, classes) or descending (scores,
 * totals: the best first).
 */
export function nextSort(current: GradebookSort, column: GradebookColumn): GradebookSort {
  if (current.column === column) return { column, direction: current.direction === 'asc' ? 'desc' : 'asc' }
  const numeric = column === 'total' || column.startsWith('q:')
  return { column, direction: numeric ? 'desc' : 'asc' }
}
