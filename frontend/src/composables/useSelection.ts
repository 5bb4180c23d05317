/** A set of selected ids (table checkboxes): toggle one, toggle all shown, keep only existing ones. */
import { computed, ref, type Ref } from 'vue'
import type { Id } from '../api/client'

export interface Selection {
  ids: Ref<Set<Id>>
  count: Ref<number>
  has: (id: Id) => boolean
  toggle: (id: Id) => void
  /** Selects every id of `shown`, or unselects them when they all are selected. */
  toggleAll: (shown: readonly Id[]) => void
  allSelected: (shown: readonly Id[]) => boolean
  /** Forgets ids that are no longer listed. */
  keepOnly: (existing: readonly Id[]) => void
  clear: () => void
}

export function useSelection(): Selection {
  const ids = ref<Set<Id>>(new Set())
  const count = computed(() => ids.value.size)
  const has = (id: Id): boolean => ids.value.has(id)

  function toggle(id: Id): void {
    const next = new Set(ids.value)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    ids.value = next
  }

  const allSelected = (shown: readonly Id[]): boolean => shown.length > 0 && shown.every((id) => ids.value.has(id))

  function toggleAll(shown: readonly Id[]): void {
    const next = new Set(ids.value)
    if (allSelected(shown)) shown.forEach((id) => next.delete(id))
    else shown.forEach((id) => next.add(id))
    ids.value = next
  }

  function keepOnly(existing: readonly Id[]): void {
    const known = new Set(existing)
    ids.value = new Set([...ids.value].filter((id) => known.has(id)))
  }

  function clear(): void {
    ids.value = new Set()
  }

  return { ids, count, has, toggle, toggleAll, allSelected, keepOnly, clear }
}
