/**
 * The score sheet of the copy: the form (scores as typed, remarks,
 * appreciation), its totals and problems, the autosave of the form into the
 * draft, restoring a draft newer than the saved scores, and "save now"
 * (PUT /scores, Ctrl/⌘+S and before finalising).
 */
import { computed, reactive, ref, watch } from 'vue'
import { errorMessage } from '../../api/client'
import { gradingApi, isLockLost, scoreErrorNode, type CopyDetail, type Draft } from '../../api/grading'
import { t } from '../../i18n'
import { formatPoints } from '../../lib/format'
import {
  draftIsNewer,
  draftPayload,
  flattenScheme,
  formFrom,
  grandTotal,
  invalidLeaves,
  readDraftPayload,
  sameScores,
  scoresPayload,
  unscoredLeaves,
  type DraftPayload,
  type ScoreForm,
  type ScoreRow,
} from '../../lib/scoring'
import type { DeskContext } from './context'
import type { CopyLockSession } from './useCopyLock'

export type DeskMessage = { kind: 'ok' | 'error'; text: string }

export function useScoreSheet(ctx: DeskContext, session: Pick<CopyLockSession, 'autosave'>) {
  const rows = computed<ScoreRow[]>(() => flattenScheme(ctx.copy.value?.scheme?.nodes))
  const form = reactive<ScoreForm>({ scores: {}, remarks: {}, appreciation: '' })
  const scoresVersion = ref(0)
  const serverErrors = ref<Record<string, string>>({})
  const scoresMessage = ref<DeskMessage | null>(null)
  const savingScores = ref(false)
  const restoredNotice = ref('')

  const total = computed(() => grandTotal(rows.value, form))
  const maxPoints = computed(() => {
    const m = ctx.copy.value?.max_points ?? 0
    return m > 0 ? m : rows.value.filter((r) => r.depth === 1).reduce((s, r) => s + r.max, 0)
  })
  const unscored = computed(() => unscoredLeaves(rows.value, form))
  const invalid = computed(() => invalidLeaves(rows.value, form))

  /** JSON of the last form state handed to the autosave (or loaded): no write when unchanged. */
  let lastPayloadJson = ''

  function currentPayload(): DraftPayload {
    return draftPayload(rows.value, form, scoresVersion.value)
  }

  function payloadKey(p: Omit<DraftPayload, 'scores_version'>): string {
    return JSON.stringify([p.scores, p.remarks, p.appreciation])
  }

  function applyForm(next: ScoreForm): void {
    form.scores = next.scores
    form.remarks = next.remarks
    form.appreciation = next.appreciation
    lastPayloadJson = payloadKey(scoresPayload(rows.value, form))
  }

  /** The saved scores of a freshly opened copy. */
  function load(detail: CopyDetail): void {
    restoredNotice.value = ''
    scoresMessage.value = null
    serverErrors.value = {}
    scoresVersion.value = detail.scores?.version ?? 0
    applyForm(formFrom(rows.value, detail.scores ?? {}))
  }

  /** A draft newer than the saved scores (and different) replaces the form. */
  function restoreDraft(draft: Draft<unknown>): void {
    const payload = readDraftPayload(draft.payload)
    if (payload && draftIsNewer(draft, scoresVersion.value) && !sameScores(payload, scoresPayload(rows.value, form))) {
      applyForm(formFrom(rows.value, payload))
      restoredNotice.value = t('desk.scores.restored')
    }
  }

  function draftFailed(err: unknown): void {
    scoresMessage.value = { kind: 'error', text: errorMessage(err, t('desk.scores.draftLoadFailed')) }
  }

  watch(
    form,
    () => {
      const saver = session.autosave.value
      if (!saver || !ctx.editable.value) return
      const payload = currentPayload()
      const key = payloadKey(payload)
      if (key === lastPayloadJson) return
      lastPayloadJson = key
      saver.schedule(payload)
    },
    { deep: true },
  )

  function onScore(nodeId: string, text: string): void {
    if (!ctx.editable.value) return
    form.scores = { ...form.scores, [nodeId]: text }
    if (serverErrors.value[nodeId]) {
      const next = { ...serverErrors.value }
      delete next[nodeId]
      serverErrors.value = next
    }
  }

  function onRemark(nodeId: string, text: string): void {
    if (!ctx.editable.value) return
    form.remarks = { ...form.remarks, [nodeId]: text }
  }

  function onAppreciation(text: string): void {
    if (!ctx.editable.value) return
    form.appreciation = text
  }

  /** PUT /scores now. Resolves to true when saved. */
  async function saveScores(): Promise<boolean> {
    const c = ctx.copy.value
    if (!c || !ctx.editable.value || savingScores.value) return false
    if (invalid.value.length > 0) {
      scoresMessage.value = { kind: 'error', text: t('desk.scores.fixFirst') }
      return false
    }
    savingScores.value = true
    scoresMessage.value = null
    try {
      const res = await gradingApi.saveScores(c.id, ctx.token(), { ...scoresPayload(rows.value, form), version: scoresVersion.value })
      scoresVersion.value = res.version
      c.scores = { ...c.scores, ...res }
      serverErrors.value = {}
      scoresMessage.value = {
        kind: 'ok',
        text: t('desk.scores.saved', { total: formatPoints(res.total), max: formatPoints(res.max ?? maxPoints.value) }),
      }
      // Keep the draft in step (it now sits on top of the new scores version).
      const saver = session.autosave.value
      if (saver?.active) {
        const payload = currentPayload()
        lastPayloadJson = payloadKey(payload)
        saver.schedule(payload)
        void saver.flush()
      }
      return true
    } catch (err) {
      if (isLockLost(err)) {
        ctx.markLost(t('desk.lock.expired'))
        scoresMessage.value = { kind: 'error', text: t('desk.scores.lockLost') }
        return false
      }
      const nodeId = scoreErrorNode(err)
      if (nodeId) serverErrors.value = { ...serverErrors.value, [nodeId]: errorMessage(err) }
      scoresMessage.value = { kind: 'error', text: errorMessage(err, t('desk.scores.saveFailed')) }
      return false
    } finally {
      savingScores.value = false
    }
  }

  return {
    rows,
    form,
    scoresVersion,
    serverErrors,
    scoresMessage,
    savingScores,
    restoredNotice,
    total,
    maxPoints,
    unscored,
    invalid,
    load,
    restoreDraft,
    draftFailed,
    onScore,
    onRemark,
    onAppreciation,
    saveScores,
  }
}

export type ScoreSheet = ReturnType<typeof useScoreSheet>
