/**
 * The question desk's state: the question's copies (progress), the copy on the desk, its question
 * lock (taken on opening, heartbeat, released when leaving), the rubric items applied, the
 * adjustment and remark, the score computed at once (`lib/rubric.ts`) and saved under the lock.
 *
 * Leaving a copy saves what changed (its "complete" flag unchanged), then releases the lock. When the
 * page is going away (`close(true)` on pagehide), what changed goes out in one last `keepalive` save
 * and the lock expires by itself (a release could overtake the save); with nothing to save the lock
 * is released. "Validate and next" saves with complete=true and opens the next copy still to grade.
 *
 * Nothing is lost when the session ends: a save refused with 401, and the last save of a closing tab,
 * keep the form in the browser (`lib/keptQuestionScores.ts`); opening that copy on that question
 * again restores it when the score has not moved on (the desk says so).
 */
import { computed, ref, shallowRef, type Ref } from 'vue'
import { ApiError, errorMessage, type Id } from '../../api/client'
import {
  isQuestionLockLost,
  questionsApi,
  type CopyQuestion,
  type QuestionCopies,
  type QuestionScore,
} from '../../api/questions'
import type { RubricItem } from '../../api/rubrics'
import { t } from '../../i18n'
import { parseDecimal } from '../../lib/format'
import { forgetQuestionScore, keepQuestionScore, reclaimQuestionScore } from '../../lib/keptQuestionScores'
import { adjustmentProblem, appliedItems, questionScore, toggleItem } from '../../lib/rubric'
import { session } from '../../stores/session'
import { neighbourToGrade } from './nextUngraded'
import { QuestionLock, type QuestionLockState } from './questionLock'

/** A save refused for these reasons shows the copy as it is now (someone else saved, or it was finalised). */
const RELOAD_ON = new Set(['score_changed', 'copy_changed', 'copy_not_gradable'])

export interface QuestionDeskOptions {
  examId: () => string
  questionId: () => string
  /** Opens another copy (the view changes the route's `?copy=`); null: none left. */
  navigate: (copyId: Id | null) => void
  announce: (text: string) => void
}

export function useQuestionDesk(opts: QuestionDeskOptions) {
  const list = ref<QuestionCopies | null>(null)
  const listError = ref('')
  const current = ref<CopyQuestion | null>(null)
  const loading = ref(false)
  const loadError = ref('')
  const lock = shallowRef<QuestionLock | null>(null)
  const lockState: Ref<QuestionLockState | null> = ref(null)

  const applied = ref<string[]>([])
  const adjustmentText = ref('')
  const remark = ref('')
  const saving = ref(false)
  const saveError = ref('')
  /** Says that changes kept in the browser were restored (or could not be). */
  const keptNotice = ref('')
  /** Set when "validate and next" found no copy left to grade on this question. */
  const allDone = ref(false)
  let gen = 0

  const rubric = computed<RubricItem[]>(() => [...(current.value?.rubric ?? [])].sort((a, b) => a.position - b.position))
  /** Removed items the copy still applies: they count until taken off, and cannot be applied again. */
  const retired = computed<RubricItem[]>(() => current.value?.retired ?? [])
  const maxPoints = computed(() => current.value?.question.max_points ?? list.value?.question.max_points ?? 0)
  const adjustment = computed(() => (adjustmentText.value.trim() === '' ? 0 : parseDecimal(adjustmentText.value)))
  const adjustmentError = computed(() => {
    const problem = adjustmentProblem(adjustment.value, maxPoints.value)
    return problem ? t(`questions.errors.${problem}`, { max: maxPoints.value }) : ''
  })
  const score = computed(() =>
    questionScore(appliedItems([...rubric.value, ...retired.value], applied.value), adjustment.value ?? 0, maxPoints.value),
  )
  const editable = computed(() => !!current.value && current.value.status === 'READY' && lockState.value?.phase === 'mine')
  const dirty = computed(() => {
    const s = current.value?.score
    if (!s) return false
    return (
      [...applied.value].sort().join('|') !== [...s.rubric_item_ids].map(String).sort().join('|') ||
      (adjustment.value ?? NaN) !== (s.adjustment ?? 0) ||
      remark.value !== (s.remark ?? '')
    )
  })

  /** Who signed in when the copy was opened: a session that ends forgets its user before the save fails. */
  let account: Id | undefined

  /** Keeps the form in the browser (session ended, or the tab closing). */
  function keepForm(c: CopyQuestion): void {
    if (account === undefined) return
    const form = { rubric_item_ids: [...applied.value], adjustmentText: adjustmentText.value, remark: remark.value }
    keepQuestionScore(account, c.copy_id, c.question.id, c.score.version, form)
  }

  /** The form kept for this copy and question, when the score is still the one it was typed on. */
  function reclaimForm(c: CopyQuestion): void {
    account = session.user?.id
    if (account === undefined) return
    const found = reclaimQuestionScore(account, c.copy_id, c.question.id, c.score)
    if (found.outcome === 'restore') {
      applied.value = found.form.rubric_item_ids.map(String)
      adjustmentText.value = found.form.adjustmentText
      remark.value = found.form.remark
      keptNotice.value = t('questions.desk.keptRestored')
    } else if (found.outcome === 'moved') {
      keptNotice.value = t('questions.desk.keptMoved')
    }
  }

  function fillForm(s: QuestionScore): void {
    applied.value = s.rubric_item_ids.map(String)
    adjustmentText.value = s.adjustment ? String(s.adjustment).replace('.', t('questions.decimalSeparator')) : ''
    remark.value = s.remark ?? ''
  }

  async function loadList(): Promise<void> {
    try {
      list.value = await questionsApi.questionCopies(opts.examId(), opts.questionId())
      listError.value = ''
    } catch (err) {
      listError.value = errorMessage(err, t('questions.list.failed'))
    }
  }

  /** Saves the form if it changed, then releases the lock (see the module comment for a page going away). */
  async function leave(keepalive = false): Promise<void> {
    const l = lock.value
    lock.value = null
    if (!l) return
    const unsaved = dirty.value && !!l.token && !adjustmentError.value
    if (keepalive && unsaved) {
      l.stop()
      if (current.value) keepForm(current.value)
      void write(current.value?.score.complete ?? false, l, true)
      return
    }
    if (unsaved) await write(current.value?.score.complete ?? false, l)
    await l.release(keepalive)
  }

  /** Opens one copy on the question: its detail, then its lock when it can be graded. */
  async function open(copyId: Id): Promise<void> {
    const mine = ++gen
    await leave()
    if (mine !== gen) return
    loading.value = true
    loadError.value = ''
    saveError.value = ''
    keptNotice.value = ''
    allDone.value = false
    lockState.value = null
    let detail: CopyQuestion
    try {
      detail = await questionsApi.copyQuestion(copyId, opts.questionId())
    } catch (err) {
      if (mine !== gen) return
      current.value = null
      loadError.value = errorMessage(err, t('questions.desk.loadFailed'))
      loading.value = false
      return
    }
    if (mine !== gen) return
    current.value = detail
    fillForm(detail.score)
    reclaimForm(detail)
    loading.value = false
    if (detail.status !== 'READY') return
    const l = new QuestionLock(copyId, opts.questionId(), (reason) => opts.announce(t('questions.lock.lostAnnounce', { reason })))
    lock.value = l
    lockState.value = l.state
    const phase = await l.acquire()
    if (mine !== gen) {
      if (phase === 'mine') void l.release()
      return
    }
    if (phase === 'taken') opts.announce(l.state.error)
  }

  /** The PUT under `l`'s token; true when saved. */
  async function write(complete: boolean, l: QuestionLock | null = lock.value, keepalive = false): Promise<boolean> {
    const c = current.value
    if (!c || !l?.token) return false
    saving.value = true
    saveError.value = ''
    try {
      const saved = await questionsApi.saveScore(c.copy_id, c.question.id, l.token, {
        version: c.score.version,
        rubric_item_ids: [...applied.value],
        adjustment: adjustment.value ?? 0,
        remark: remark.value,
        complete,
      }, keepalive)
      if (account !== undefined) forgetQuestionScore(account, c.copy_id, c.question.id)
      keptNotice.value = ''
      c.score = saved.score
      c.status = saved.copy_status
      const row = list.value?.copies.find((r) => String(r.copy_id) === String(c.copy_id))
      if (row && list.value) {
        row.score = saved.score.score
        row.complete = saved.score.complete
        row.status = saved.copy_status
        list.value.complete = list.value.copies.filter((r) => r.complete).length
      }
      opts.announce(saved.finalised ? t('questions.desk.finalised', { id: c.anonymous_id }) : t('questions.desk.saved'))
      return true
    } catch (err) {
      saveError.value = errorMessage(err, t('questions.desk.saveFailed'))
      if (err instanceof ApiError && err.status === 401) {
        keepForm(c)
        saveError.value = t('session.autosave.keptSignedOut')
      } else if (isQuestionLockLost(err)) l.markLost(saveError.value)
      else if (err instanceof ApiError && err.reason && RELOAD_ON.has(err.reason)) void reloadScore()
      return false
    } finally {
      saving.value = false
    }
  }

  /** Someone saved this question meanwhile (or the copy was finalised): shows it as it is now. */
  async function reloadScore(): Promise<void> {
    const c = current.value
    if (!c) return
    try {
      const fresh = await questionsApi.copyQuestion(c.copy_id, c.question.id)
      if (current.value !== c) return
      c.score = fresh.score
      c.rubric = fresh.rubric
      c.retired = fresh.retired
      c.status = fresh.status
      fillForm(fresh.score)
    } catch {
      // The error already shown says to reload.
    }
  }

  /** Saves without completing (Save button). */
  async function save(): Promise<boolean> {
    if (!editable.value || adjustmentError.value) return false
    return write(current.value?.score.complete ?? false)
  }

  /** Saves the question as complete, then opens the next copy still to grade. */
  async function validateAndNext(): Promise<void> {
    if (saving.value) return
    if (editable.value) {
      if (adjustmentError.value) {
        saveError.value = adjustmentError.value
        return
      }
      if (!(await write(true))) return
    }
    await loadList()
    goTo(1)
  }

  /** Opens the next (or previous) copy still to grade; says so when none is left. */
  function goTo(delta: 1 | -1): void {
    const next = neighbourToGrade(list.value?.copies ?? [], current.value?.copy_id ?? null, delta)
    allDone.value = next === null
    if (next) opts.navigate(next.copy_id)
    else opts.announce(t('questions.desk.allDone'))
  }

  function toggle(itemId: string): void {
    if (!editable.value) return
    if (retired.value.some((i) => String(i.id) === String(itemId))) {
      applied.value = applied.value.filter((id) => id !== String(itemId)) // taken off, never put back
      return
    }
    applied.value = toggleItem(rubric.value, applied.value, itemId)
  }

  /** Number key n (1–9): the n-th item of the rubric. */
  function applyNth(n: number): boolean {
    const item = rubric.value[n - 1]
    if (!item || !editable.value) return false
    toggle(String(item.id))
    return true
  }

  /** The rubric changed (editor): the items on the desk follow. */
  function rubricChanged(items: RubricItem[]): void {
    if (current.value) current.value.rubric = items
    void loadList()
  }

  /** Admin: breaks another teacher's question lock, then opens the copy again (taking it). */
  async function breakLock(): Promise<void> {
    const c = current.value
    if (!c) return
    try {
      await questionsApi.unlock(c.copy_id, c.question.id, null)
    } catch (err) {
      saveError.value = errorMessage(err, t('questions.lock.breakFailed'))
      return
    }
    await open(c.copy_id)
  }

  /** The desk goes away: stop answering late replies, save and release. */
  async function close(keepalive = false): Promise<void> {
    gen++
    await leave(keepalive)
  }

  return {
    list,
    listError,
    current,
    loading,
    loadError,
    lockState,
    applied,
    adjustmentText,
    adjustmentError,
    remark,
    saving,
    saveError,
    keptNotice,
    allDone,
    rubric,
    retired,
    maxPoints,
    score,
    editable,
    dirty,
    unsaved: computed(() => editable.value && dirty.value),
    loadList,
    open,
    save,
    validateAndNext,
    goTo,
    toggle,
    applyNth,
    rubricChanged,
    breakLock,
    close,
  }
}

export type QuestionDesk = ReturnType<typeof useQuestionDesk>
