/**
 * Finalising a copy: confirmation → PUT scores → flush the draft → POST
 * finalize → live status (polled every 1.5 s) → GRADED: download link. With
 * "Finalise and next", the desk moves on to the next copy as soon as the
 * server accepted (the final PDF renders on its own meanwhile).
 * Also the retry of a failed render and the short-lived final PDF link.
 */
import { computed, ref } from 'vue'
import { ApiError, errorMessage } from '../../api/client'
import { gradingApi, missingNodes, STATUS_POLL_MS } from '../../api/grading'
import { t } from '../../i18n'
import { copyStatusLabel } from '../../lib/format'
import type { ScoreRow } from '../../lib/scoring'
import type { DeskContext } from './context'
import type { CopyLockSession } from './useCopyLock'
import type { ScoreSheet } from './useScoreSheet'

export interface FinaliseHooks {
  /** The server accepted: the copy is GRADING_IN_PROGRESS or GRADED. */
  onFinalised: (andNext: boolean) => void
}

export function useFinalise(
  ctx: DeskContext,
  sheet: Pick<ScoreSheet, 'rows' | 'saveScores' | 'scoresMessage'>,
  session: Pick<CopyLockSession, 'lock' | 'autosave'>,
  hooks: FinaliseHooks,
) {
  const showFinalize = ref(false)
  /** The dialog was opened by "Finalise and next". */
  const andNext = ref(false)
  const finalizing = ref(false)
  const finalizeError = ref('')
  const serverMissing = ref<string[]>([])
  const retrying = ref(false)
  const retryError = ref('')
  const finalPdf = ref<{ url: string; expiresAt: number } | null>(null)
  const finalPdfError = ref('')

  const serverMissingRows = computed<ScoreRow[]>(() =>
    serverMissing.value.map(
      (id) => sheet.rows.value.find((r) => r.id === id) ?? { id, label: id, path: '?', depth: 1, leaf: true, max: 0, leafIds: [id] },
    ),
  )

  let pollTimer: ReturnType<typeof setTimeout> | null = null

  function reset(): void {
    stopPolling()
    showFinalize.value = false
    finalPdf.value = null
    finalPdfError.value = ''
    retryError.value = ''
  }

  function open(next = false): void {
    if (!ctx.editable.value) return
    finalizeError.value = ''
    serverMissing.value = []
    andNext.value = next
    showFinalize.value = true
  }

  function cancel(): void {
    if (!finalizing.value) showFinalize.value = false
  }

  async function confirm(): Promise<void> {
    const c = ctx.copy.value
    if (!c || finalizing.value) return
    finalizeError.value = ''
    serverMissing.value = []
    if (!(await sheet.saveScores())) {
      finalizeError.value = sheet.scoresMessage.value?.text ?? t('desk.scores.saveFailed')
      return
    }
    finalizing.value = true
    try {
      await session.autosave.value?.flush()
      const res = await gradingApi.finalize(c.id, ctx.token())
      session.autosave.value?.stop()
      session.lock.value?.forget()
      c.status = res.status
      showFinalize.value = false
      ctx.announce(t('desk.finalise.done', { status: copyStatusLabel(res.status) }))
      if (res.status === 'GRADED') void fetchFinalPdf()
      else startPolling()
      hooks.onFinalised(andNext.value)
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        serverMissing.value = missingNodes(err)
        finalizeError.value = serverMissing.value.length > 0 ? '' : errorMessage(err)
      } else if (err instanceof ApiError && err.status === 409) {
        session.lock.value?.markLost(err.message)
        finalizeError.value = errorMessage(err, t('desk.finalise.lockLost'))
      } else {
        finalizeError.value = errorMessage(err, t('desk.finalise.failed'))
      }
    } finally {
      finalizing.value = false
    }
  }

  function startPolling(): void {
    stopPolling()
    const gen = ctx.generation.current
    pollTimer = setTimeout(() => void poll(gen), STATUS_POLL_MS)
  }

  function stopPolling(): void {
    if (pollTimer !== null) {
      clearTimeout(pollTimer)
      pollTimer = null
    }
  }

  async function poll(gen: number): Promise<void> {
    pollTimer = null
    const c = ctx.copy.value
    if (!c || gen !== ctx.generation.current) return
    try {
      const fresh = await gradingApi.copyState(c.id)
      if (gen !== ctx.generation.current) return
      c.status = fresh.status
      c.grading_error = fresh.grading_error
      c.grading_error_reason = fresh.grading_error_reason
      c.grading_error_params = fresh.grading_error_params
      c.grading_attempts = fresh.grading_attempts
      c.final_pdf_available = fresh.final_pdf_available
    } catch {
      // Try again at the next tick.
    }
    if (gen !== ctx.generation.current) return
    if (c.status === 'GRADED') {
      ctx.announce(t('desk.finalise.pdfReady'))
      void fetchFinalPdf()
    } else if (c.status === 'GRADING_FAILED') {
      ctx.announce(t('desk.banner.failed'))
    } else if (c.status === 'GRADING_IN_PROGRESS') {
      startPolling()
    }
  }

  async function retryRender(): Promise<void> {
    const c = ctx.copy.value
    if (!c || retrying.value) return
    retrying.value = true
    retryError.value = ''
    try {
      const res = await gradingApi.retry(c.id)
      c.status = res.status
      c.grading_error = null
      c.grading_error_reason = null
      if (res.status === 'GRADED') void fetchFinalPdf()
      else startPolling()
    } catch (err) {
      retryError.value = errorMessage(err, t('desk.finalise.retryFailed'))
    } finally {
      retrying.value = false
    }
  }

  async function fetchFinalPdf(): Promise<string | null> {
    const c = ctx.copy.value
    if (!c) return null
    finalPdfError.value = ''
    try {
      const res = await gradingApi.finalPdf(c.id)
      finalPdf.value = { url: res.url, expiresAt: Date.now() + Math.max(0, (res.expires_in ?? 60) - 10) * 1000 }
      return res.url
    } catch (err) {
      finalPdfError.value = errorMessage(err, t('desk.finalise.pdfFailed'))
      return null
    }
  }

  /** An expired link is fetched again before following it. */
  async function onPdfClick(event: MouseEvent): Promise<void> {
    if (finalPdf.value && Date.now() < finalPdf.value.expiresAt) return
    event.preventDefault()
    const url = await fetchFinalPdf()
    if (url) window.location.assign(url)
  }

  return {
    showFinalize,
    andNext,
    finalizing,
    finalizeError,
    serverMissingRows,
    retrying,
    retryError,
    finalPdf,
    finalPdfError,
    reset,
    open,
    cancel,
    confirm,
    startPolling,
    stopPolling,
    retryRender,
    fetchFinalPdf,
    onPdfClick,
  }
}
