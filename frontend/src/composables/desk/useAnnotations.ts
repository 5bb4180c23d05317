/**
 * The annotations of the copy: written one by one as soon as they are drawn
 * (drawn but unconfirmed ones are shown lighter), moved, re-worded, deleted
 * with their version (a 409 reloads them), selected, and undone / redone.
 *
 * Undo (Ctrl/⌘+Z) and redo (Ctrl/⌘+Shift+Z, Ctrl+Y) replay the inverse change
 * through the same routes: an undone creation is deleted, an undone deletion is
 * created again (it gets a new id, which the history then follows), an undone
 * move or re-wording is patched back. Annotations carry no points (see
 * `chalicelib/domain/annotations.py`).
 */
import { computed, ref, type ComputedRef } from 'vue'
import { ApiError, errorMessage, type Id } from '../../api/client'
import { gradingApi, isLockLost, type Annotation, type AnnotationChanges, type CopyPage, type NewAnnotation } from '../../api/grading'
import { t } from '../../i18n'
import type { Drawable } from '../../lib/annotationDraw'
import type { DeskContext } from './context'
import type { DeskMessage } from './useScoreSheet'

/** One change the teacher made, as the history remembers it. */
export type AnnotationChange =
  | { kind: 'create'; id: string; snapshot: Annotation }
  | { kind: 'delete'; id: string; snapshot: Annotation }
  | { kind: 'update'; id: string; from: AnnotationChanges; to: AnnotationChanges }

const HISTORY_LIMIT = 100

/** "Tick", "Text comment"… in the current language. */
export function annotationTypeLabel(type: string): string {
  return ['rect', 'ink', 'tick', 'cross', 'text'].includes(type) ? t(`desk.annotations.types.${type}`) : t('desk.annotations.types.other')
}

export function useAnnotations(ctx: DeskContext, page: ComputedRef<CopyPage | null>) {
  const annotations = ref<Annotation[]>([])
  const pending = ref<(Drawable & { tempId: string; page_index: number })[]>([])
  const annotationMessage = ref<DeskMessage | null>(null)
  const selectedId = ref<string | null>(null)
  const undoStack = ref<AnnotationChange[]>([])
  const redoStack = ref<AnnotationChange[]>([])
  const replaying = ref(false)

  const selected = computed(() => annotations.value.find((a) => String(a.id) === selectedId.value) ?? null)
  const onPage = computed(() => annotations.value.filter((a) => a.page_index === page.value?.index))
  const pageAnnotations = computed<(Annotation | Drawable)[]>(() => {
    const index = page.value?.index
    if (index === undefined) return []
    return [...onPage.value, ...pending.value.filter((p) => p.page_index === index)]
  })
  const canUndo = computed(() => ctx.editable.value && undoStack.value.length > 0 && !replaying.value)
  const canRedo = computed(() => ctx.editable.value && redoStack.value.length > 0 && !replaying.value)

  function load(list: readonly Annotation[] | undefined): void {
    annotations.value = [...(list ?? [])]
    pending.value = []
    annotationMessage.value = null
    selectedId.value = null
    undoStack.value = []
    redoStack.value = []
  }

  function record(change: AnnotationChange): void {
    undoStack.value = [...undoStack.value, change].slice(-HISTORY_LIMIT)
    redoStack.value = []
  }

  function failed(err: unknown, fallback: string): void {
    if (isLockLost(err)) {
      ctx.markLost(t('desk.lock.expired'))
      annotationMessage.value = { kind: 'error', text: t('desk.annotations.lockLost') }
      return
    }
    if (err instanceof ApiError && err.status === 409) {
      annotationMessage.value = { kind: 'error', text: t('desk.annotations.reloaded') }
      void refreshCopy()
      return
    }
    annotationMessage.value = { kind: 'error', text: errorMessage(err, fallback) }
  }

  let tempSeq = 0

  /** POST one annotation (shown lighter until the server confirms it). */
  async function post(body: NewAnnotation): Promise<Annotation | null> {
    const c = ctx.copy.value
    if (!c) return null
    const tempId = `tmp-${++tempSeq}`
    pending.value = [...pending.value, { ...body, tempId }]
    annotationMessage.value = null
    try {
      const created = await gradingApi.createAnnotation(c.id, ctx.token(), body)
      annotations.value = [...annotations.value, created]
      return created
    } catch (err) {
      failed(err, t('desk.annotations.saveFailed'))
      return null
    } finally {
      pending.value = pending.value.filter((a) => a.tempId !== tempId)
    }
  }

  async function create(input: Omit<NewAnnotation, 'page_index'>): Promise<Annotation | null> {
    const p = page.value
    if (!p || !ctx.editable.value) return null
    const created = await post({ page_index: p.index, ...input })
    if (created) record({ kind: 'create', id: String(created.id), snapshot: created })
    return created
  }

  function replace(updated: Annotation): void {
    annotations.value = annotations.value.map((a) => (String(a.id) === String(updated.id) ? updated : a))
  }

  async function patch(a: Annotation, changes: AnnotationChanges): Promise<Annotation | null> {
    const c = ctx.copy.value
    if (!c || !ctx.editable.value) return null
    replace({ ...a, ...changes } as Annotation) // optimistic
    annotationMessage.value = null
    try {
      const updated = await gradingApi.updateAnnotation(c.id, ctx.token(), a.id, a.version, changes)
      replace(updated)
      return updated
    } catch (err) {
      replace(a)
      failed(err, t('desk.annotations.changeFailed'))
      return null
    }
  }

  /** Moves or re-words an annotation (remembered for undo). */
  async function change(a: Annotation, changes: AnnotationChanges): Promise<void> {
    const from: AnnotationChanges = {}
    if (changes.geometry !== undefined) from.geometry = a.geometry
    if (changes.text !== undefined) from.text = a.text ?? ''
    if (await patch(a, changes)) record({ kind: 'update', id: String(a.id), from, to: changes })
  }

  async function remove(a: Annotation): Promise<boolean> {
    const c = ctx.copy.value
    if (!c || !ctx.editable.value) return false
    annotationMessage.value = null
    try {
      await gradingApi.deleteAnnotation(c.id, ctx.token(), a.id, a.version)
      annotations.value = annotations.value.filter((x) => String(x.id) !== String(a.id))
      if (selectedId.value === String(a.id)) selectedId.value = null
      ctx.announce(t('desk.annotations.deleted', { what: annotationTypeLabel(a.type) }))
      return true
    } catch (err) {
      failed(err, t('desk.annotations.deleteFailed'))
      return false
    }
  }

  async function deleteAnnotation(a: Annotation): Promise<void> {
    if (await remove(a)) record({ kind: 'delete', id: String(a.id), snapshot: a })
  }

  /** The same annotation created again (after an undone deletion or a redone creation). */
  async function recreate(snapshot: Annotation): Promise<Annotation | null> {
    const body: NewAnnotation = { page_index: snapshot.page_index, type: snapshot.type, geometry: snapshot.geometry }
    if (snapshot.text != null) body.text = snapshot.text
    return post(body)
  }

  /** The history follows an annotation that came back under a new id. */
  function remap(oldId: string, newId: Id): void {
    const id = String(newId)
    const fix = (c: AnnotationChange): AnnotationChange => (c.id === oldId ? { ...c, id } : c)
    undoStack.value = undoStack.value.map(fix)
    redoStack.value = redoStack.value.map(fix)
  }

  const current = (id: string) => annotations.value.find((a) => String(a.id) === id) ?? null

  /** Applies `change` backwards (undo) or forwards (redo): the annotation's id afterwards, null when refused. */
  async function replay(c: AnnotationChange, backwards: boolean): Promise<string | null> {
    const a = current(c.id)
    if (c.kind === 'update') return a && (await patch(a, backwards ? c.from : c.to)) ? c.id : null
    if ((c.kind === 'create') === backwards) return a && (await remove(a)) ? c.id : null
    const created = await recreate(c.snapshot)
    if (!created) return null
    remap(c.id, created.id)
    return String(created.id)
  }

  async function step(backwards: boolean): Promise<void> {
    const from = backwards ? undoStack : redoStack
    const to = backwards ? redoStack : undoStack
    const c = from.value[from.value.length - 1]
    if (!c || replaying.value || !ctx.editable.value) return
    replaying.value = true
    try {
      from.value = from.value.slice(0, -1)
      const id = await replay(c, backwards)
      if (id !== null) {
        to.value = [...to.value, { ...c, id }].slice(-HISTORY_LIMIT)
        ctx.announce(t(backwards ? 'desk.annotations.undone' : 'desk.annotations.redone'))
      }
    } finally {
      replaying.value = false
    }
  }

  const undo = () => step(true)
  const redo = () => step(false)

  /** Fresh status, lock and annotations of the copy (after a conflict or a lost lock); the form is kept. */
  async function refreshCopy(): Promise<void> {
    const c = ctx.copy.value
    if (!c) return
    try {
      const fresh = await gradingApi.getCopy(c.id)
      if (ctx.copy.value !== c) return
      c.status = fresh.status
      c.lock = fresh.lock
      c.grading_error = fresh.grading_error
      c.grading_error_reason = fresh.grading_error_reason
      c.grading_error_params = fresh.grading_error_params
      annotations.value = [...(fresh.annotations ?? [])]
      if (selectedId.value && !annotations.value.some((a) => String(a.id) === selectedId.value)) selectedId.value = null
      // Ids and versions changed under the history: start it again.
      undoStack.value = []
      redoStack.value = []
    } catch {
      // Keep what we have.
    }
  }

  return {
    annotations,
    pending,
    annotationMessage,
    selectedId,
    selected,
    onPage,
    pageAnnotations,
    canUndo,
    canRedo,
    load,
    create,
    change,
    deleteAnnotation,
    undo,
    redo,
    refreshCopy,
  }
}

export type Annotations = ReturnType<typeof useAnnotations>
