/**
 * Regrade requests on the staff side: the queue (pending / answered), one request opened to be
 * answered (the question's current score, its rubric items as toggles with an adjustment in
 * question mode, a score field in copy mode, the answer), and the pending count of the navigation.
 *
 * The server decides: the score it computes and the version it checks win; only what changed is
 * sent (a request answered without a new score keeps the copy as it is).
 */
import { computed, onBeforeUnmount, ref, watch, type Ref } from 'vue'
import { ApiError, errorMessage, type Id } from '../api/client'
import {
  REGRADE_TEXT_MAX,
  regradesApi,
  type RegradeAnswerInput,
  type RegradeDetail,
  type RegradeRequest,
  type RegradeStatus,
} from '../api/regrades'
import { t } from '../i18n'
import { onBeforeSignOut } from '../stores/session'
import { formatPoints, parseDecimal } from '../lib/format'
import { adjustmentProblem, questionScore, toggleItem } from '../lib/rubric'
import { scoreError } from '../lib/scoring'

/** The key of a request: one per copy and question. */
export const requestKey = (r: Pick<RegradeRequest, 'copy_id' | 'question_id'>): string => `${r.copy_id}/${r.question_id}`

// ---------------------------------------------------------------------------
// The pending count of the navigation
// ---------------------------------------------------------------------------

/** Pending requests of the signed-in staff member; null until known. */
export const openRegradeCount = ref<number | null>(null)

/** The count's request while it runs: signing out waits for it (never a 401 from a session ended
 * under it). */
let countInFlight: Promise<void> | null = null

/** Asks the server for the pending count (silently: the link works without it). */
export async function refreshOpenRegradeCount(): Promise<void> {
  const asking = (async () => {
    try {
      openRegradeCount.value = (await regradesApi.queue('OPEN')).length
    } catch {
      /* the link stays, without a number */
    }
  })()
  countInFlight = asking
  try {
    await asking
  } finally {
    if (countInFlight === asking) countInFlight = null
  }
}

type IdleWindow = Window & {
  requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number
  cancelIdleCallback?: (handle: number) => void
}

/** The navigation asks at most this often (the queue's own loads keep the count fresh meanwhile). */
const COUNT_EVERY_MS = 30_000

/**
 * Keeps the navigation's count for staff: asked once the browser is idle (never competing with the
 * page's own loads), again when `trigger` changes (a navigation) and the count is older than 30 s.
 * Without idle callbacks (old browsers, test DOMs) the link shows no count.
 */
export function useOpenRegradeCount(enabled: () => boolean, trigger: () => unknown): Ref<number | null> {
  let pending: number | null = null
  let askedAt = -Infinity
  const browser = globalThis as unknown as IdleWindow
  const ask = (): void => {
    const idle = browser.requestIdleCallback
    if (!enabled() || pending !== null || typeof idle !== 'function' || Date.now() - askedAt < COUNT_EVERY_MS) return
    pending = idle(
      () => {
        pending = null
        askedAt = Date.now()
        if (enabled()) void refreshOpenRegradeCount()
      },
      { timeout: 3000 },
    )
  }
  // Signing out: no count asked any more, and the one running ends first.
  const unregister = onBeforeSignOut(async () => {
    if (pending !== null) browser.cancelIdleCallback?.(pending)
    pending = null
    askedAt = Infinity
    await countInFlight
  })
  onBeforeUnmount(unregister)
  watch(
    [enabled, trigger],
    ([on]) => {
      if (on) ask()
      else {
        openRegradeCount.value = null
        askedAt = -Infinity // another account signs in next
      }
    },
    { immediate: true },
  )
  return openRegradeCount
}

// ---------------------------------------------------------------------------
// The queue
// ---------------------------------------------------------------------------

export function useRegradeQueue() {
  const tab = ref<RegradeStatus>('OPEN')
  const lists = ref<Record<RegradeStatus, RegradeRequest[] | null>>({ OPEN: null, ANSWERED: null })
  const loading = ref(false)
  const error = ref('')

  const shown = computed(() => lists.value[tab.value])
  const openCount = computed(() => lists.value.OPEN?.length ?? null)
  const showsStudent = computed(() => (shown.value ?? []).some((r) => typeof r.student_name === 'string'))

  async function load(status: RegradeStatus = tab.value): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      const loaded = await regradesApi.queue(status)
      lists.value = { ...lists.value, [status]: sortRequests(loaded, status) }
      if (status === 'OPEN') openRegradeCount.value = loaded.length
    } catch (err) {
      error.value = errorMessage(err, t('regrades.queue.loadFailed'))
    } finally {
      loading.value = false
    }
  }

  async function show(status: RegradeStatus): Promise<void> {
    tab.value = status
    await load(status)
  }

  /** An answered request leaves the pending list and heads the answered one. */
  function answered(request: RegradeRequest): void {
    const key = requestKey(request)
    const open = (lists.value.OPEN ?? []).filter((r) => requestKey(r) !== key)
    const done = lists.value.ANSWERED ? [request, ...lists.value.ANSWERED.filter((r) => requestKey(r) !== key)] : null
    lists.value = { OPEN: open, ANSWERED: done }
    openRegradeCount.value = open.length
  }

  return { tab, lists, shown, openCount, showsStudent, loading, error, load, show, answered }
}

/** Pending: the oldest first (first come, first served); answered: the latest answer first. */
export function sortRequests(requests: RegradeRequest[], status: RegradeStatus): RegradeRequest[] {
  const copy = [...requests]
  if (status === 'OPEN') return copy.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)))
  return copy.sort((a, b) => String(b.answered_at ?? b.created_at).localeCompare(String(a.answered_at ?? a.created_at)))
}

// ---------------------------------------------------------------------------
// Answering one request
// ---------------------------------------------------------------------------

export function useRegradeAnswer(copyId: () => Id, questionId: () => string) {
  const detail = ref<RegradeDetail | null>(null)
  const loading = ref(false)
  const loadError = ref('')

  const answer = ref('')
  const scoreText = ref('')
  const itemIds = ref<string[]>([])
  const adjustmentText = ref('0')
  const submitting = ref(false)
  const submitError = ref('')
  const answerError = ref('')
  const done = ref<RegradeRequest | null>(null)

  const max = computed(() => Number(detail.value?.question.max_points ?? 0))
  /** Question mode: the score is made of rubric items (the question-mode score shape). */
  const rubricMode = computed(() => Array.isArray(detail.value?.score?.rubric_item_ids))
  const currentScore = computed<number | null>(() => {
    const s = detail.value?.score?.score
    return s === null || s === undefined ? null : Number(s)
  })
  const readonly = computed(() => detail.value?.status === 'ANSWERED' || done.value !== null)

  const adjustment = computed(() => parseDecimal(adjustmentText.value.trim() === '' ? '0' : adjustmentText.value.replace(/\u2212/g, '-')))
  const adjustmentErr = computed(() => {
    if (!rubricMode.value) return ''
    return adjustmentProblem(adjustment.value, max.value) ? t('regrades.panel.errors.adjustment', { max: formatPoints(max.value) }) : ''
  })
  const scoreErr = computed(() => {
    if (rubricMode.value) return ''
    if (scoreText.value.trim() === '') return currentScore.value === null ? '' : t('desk.scores.errors.number')
    return scoreError(scoreText.value, max.value) ?? ''
  })

  /** The score the answer leads to, as the server's rule computes it; null when unknown. */
  const newScore = computed<number | null>(() => {
    const d = detail.value
    if (!d) return null
    if (rubricMode.value) {
      if (adjustmentErr.value) return null
      const rubric = d.rubric ?? []
      const applied = rubric.filter((i) => itemIds.value.includes(String(i.id)))
      return questionScore(applied, adjustment.value ?? 0, max.value)
    }
    if (scoreErr.value) return null
    return parseDecimal(scoreText.value)
  })

  function sameIds(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000')
  }

  /** What the answer changes of the score (nothing when the teacher kept it). */
  const scoreChanges = computed<Pick<RegradeAnswerInput, 'score' | 'rubric_item_ids' | 'adjustment'>>(() => {
    const s = detail.value?.score
    if (!s) return {}
    if (rubricMode.value) {
      const ids = itemIds.value
      const adj = adjustment.value ?? 0
      if (sameIds(ids, (s.rubric_item_ids ?? []).map(String)) && adj === Number(s.adjustment ?? 0)) return {}
      return { rubric_item_ids: ids, adjustment: adj }
    }
    const typed = newScore.value
    if (typed === null || typed === currentScore.value) return {}
    return { score: typed }
  })

  function fill(d: RegradeDetail): void {
    answer.value = d.answer ?? ''
    itemIds.value = (d.score?.rubric_item_ids ?? []).map(String)
    adjustmentText.value = formatPoints(Number(d.score?.adjustment ?? 0))
    scoreText.value = d.score?.score === null || d.score?.score === undefined ? '' : formatPoints(Number(d.score.score))
  }

  async function load(): Promise<void> {
    const key = `${copyId()}/${questionId()}`
    loading.value = true
    loadError.value = ''
    done.value = null
    submitError.value = ''
    answerError.value = ''
    try {
      const d = await regradesApi.detail(copyId(), questionId())
      if (key !== `${copyId()}/${questionId()}`) return
      detail.value = d
      fill(d)
    } catch (err) {
      if (key !== `${copyId()}/${questionId()}`) return
      detail.value = null
      loadError.value = errorMessage(err, t('regrades.panel.loadFailed'))
    } finally {
      if (key === `${copyId()}/${questionId()}`) loading.value = false
    }
  }

  /** One click (or its number key) applies or removes a rubric item. */
  function toggle(itemId: string): void {
    if (readonly.value || !detail.value) return
    itemIds.value = toggleItem(detail.value.rubric ?? [], itemIds.value, String(itemId))
  }

  async function submit(): Promise<RegradeRequest | null> {
    const d = detail.value
    if (!d || submitting.value || readonly.value) return null
    submitError.value = ''
    const text = answer.value.trim()
    answerError.value = text === '' ? t('regrades.panel.errors.answer') : answer.value.length > REGRADE_TEXT_MAX ? t('regrades.panel.errors.tooLong', { max: REGRADE_TEXT_MAX }) : ''
    if (answerError.value || scoreErr.value || adjustmentErr.value) return null
    submitting.value = true
    try {
      const answered = await regradesApi.answer(d.copy_id, d.question_id, { version: d.version, answer: text, ...scoreChanges.value })
      done.value = answered
      detail.value = { ...d, ...answered }
      return answered
    } catch (err) {
      submitError.value = errorMessage(err, t('regrades.panel.answerFailed'))
      if (err instanceof ApiError && err.status === 409) await refreshKeepingForm()
      return null
    } finally {
      submitting.value = false
    }
  }

  /**
   * After a conflict (answered meanwhile by someone else, or changed): the request as it is now,
   * the teacher's typed answer and score kept, so that a second "Répondre" is on the new version.
   */
  async function refreshKeepingForm(): Promise<void> {
    const key = `${copyId()}/${questionId()}`
    try {
      const d = await regradesApi.detail(copyId(), questionId())
      if (key === `${copyId()}/${questionId()}`) detail.value = d
    } catch {
      /* the error shown already says to reload */
    }
  }

  return {
    detail,
    loading,
    loadError,
    answer,
    scoreText,
    itemIds,
    adjustmentText,
    submitting,
    submitError,
    answerError,
    scoreErr,
    adjustmentErr,
    done,
    max,
    rubricMode,
    currentScore,
    newScore,
    scoreChanges,
    readonly,
    load,
    toggle,
    submit,
  }
}
