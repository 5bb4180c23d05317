/**
 * Text comments and the teacher's comment bank.
 *
 * The text tool opens a field where the page is clicked (Enter saves, Esc
 * cancels). A saved comment goes in with one click (or its number key, 1–9,
 * while the text tool is active): into the field being typed, next to the
 * selected annotation, or else at the next click on the page — saved at once.
 */
import { computed, ref, watch, type ComputedRef, type Ref } from 'vue'
import { errorMessage } from '../../api/client'
import { gradingApi, type Annotation, type BankComment, type CopyPage, type Geometry } from '../../api/grading'
import type { TextDraft } from '../../components/grading/PageViewer.vue'
import { t } from '../../i18n'
import type { Tool } from '../../lib/shortcuts'
import type { DeskContext } from './context'
import type { Annotations } from './useAnnotations'

/** Where a comment goes next to an annotation: right of a mark, under a rectangle or a stroke. */
export function besideOf(a: Pick<Annotation, 'geometry'>): { x: number; y: number } {
  const g = a.geometry as Partial<Record<'x' | 'y' | 'w' | 'h', number>> & { points?: [number, number][] }
  const clamp = (v: number, max: number) => Math.round(Math.min(Math.max(v, 0), max) * 10000) / 10000
  if (g.points && g.points.length > 0) {
    const bottom = Math.max(...g.points.map((p) => p[1]))
    const left = Math.min(...g.points.map((p) => p[0]))
    return { x: clamp(left, 0.9), y: clamp(bottom + 0.01, 0.97) }
  }
  if (typeof g.w === 'number' && typeof g.h === 'number') return { x: clamp(g.x ?? 0, 0.9), y: clamp((g.y ?? 0) + g.h + 0.01, 0.97) }
  return { x: clamp((g.x ?? 0) + 0.03, 0.9), y: clamp(g.y ?? 0, 0.97) }
}

export function useCommentBank(
  ctx: DeskContext,
  notes: Pick<Annotations, 'create' | 'selected'>,
  page: ComputedRef<CopyPage | null>,
  tool: Ref<Tool>,
) {
  const bank = ref<BankComment[]>([])
  const bankError = ref('')
  const bankMessage = ref('')
  const bankSaving = ref(false)
  const textDraft = ref<TextDraft | null>(null)
  /** A bank comment chosen while no field is open: placed (and saved) at the next click. */
  const pendingBank = ref<{ id: string; text: string } | null>(null)

  let bankMessageTimer: ReturnType<typeof setTimeout> | null = null
  watch(bankMessage, (text) => {
    if (bankMessageTimer !== null) clearTimeout(bankMessageTimer)
    bankMessageTimer = text ? setTimeout(() => (bankMessage.value = ''), 3000) : null
  })

  /** The text "Save to bank" would save: the comment being typed, else the selected one. */
  const bankText = computed(() => {
    if (textDraft.value) return textDraft.value.value.trim()
    if (notes.selected.value?.type === 'text') return (notes.selected.value.text ?? '').trim()
    return ''
  })

  function reset(): void {
    textDraft.value = null
    pendingBank.value = null
    bankMessage.value = ''
  }

  async function load(): Promise<void> {
    bankError.value = ''
    try {
      bank.value = await gradingApi.bank()
    } catch (err) {
      bankError.value = errorMessage(err, t('desk.bank.loadFailed'))
    }
  }

  async function countUse(id: string): Promise<void> {
    try {
      await gradingApi.useBankComment(id)
      bank.value = bank.value.map((b) => (String(b.id) === id ? { ...b, usage_count: b.usage_count + 1 } : b))
    } catch {
      // Only a counter.
    }
  }

  async function placeText(point: { x: number; y: number }, text: string, bankId: string | null): Promise<void> {
    const created = await notes.create({ type: 'text', geometry: point as Geometry, text })
    if (created && bankId) void countUse(bankId)
  }

  // --- the text field on the page ------------------------------------------------

  function onOpenText(point: { x: number; y: number }): void {
    if (!ctx.editable.value || !page.value) return
    if (pendingBank.value) {
      const chosen = pendingBank.value
      pendingBank.value = null
      void placeText(point, chosen.text, chosen.id)
      return
    }
    if (textDraft.value && textDraft.value.value.trim() !== '') {
      // Clicking elsewhere saves the comment being typed.
      void commitText()
      return
    }
    textDraft.value = { page_index: page.value.index, x: point.x, y: point.y, value: textDraft.value?.value ?? '', bankId: null }
  }

  function onTextInput(value: string): void {
    const draft = textDraft.value
    if (!draft) return
    const fromBank = draft.bankId ? bank.value.find((b) => String(b.id) === draft.bankId)?.text : undefined
    textDraft.value = { ...draft, value, bankId: fromBank !== undefined && fromBank === value ? draft.bankId : null }
  }

  async function commitText(): Promise<void> {
    const draft = textDraft.value
    if (!draft) return
    textDraft.value = null
    const text = draft.value.trim()
    if (text !== '') await placeText({ x: draft.x, y: draft.y }, text, draft.bankId)
  }

  function cancelText(): void {
    textDraft.value = null
  }

  // --- inserting a saved comment -----------------------------------------------------

  /** One click (or its number key): the comment goes in and is saved. */
  function insert(comment: BankComment): void {
    if (!ctx.editable.value) return
    const id = String(comment.id)
    const draft = textDraft.value
    if (draft) {
      textDraft.value = null
      void placeText({ x: draft.x, y: draft.y }, comment.text, id)
      return
    }
    const target = notes.selected.value
    if (target && target.page_index === page.value?.index) {
      void placeText(besideOf(target), comment.text, id)
      return
    }
    pendingBank.value = { id, text: comment.text }
    tool.value = 'text'
    ctx.announce(t('desk.bank.clickToPlace'))
  }

  /** The n-th comment of the bank (1-based), for the number keys. */
  function insertNth(n: number): boolean {
    const comment = bank.value[n - 1]
    if (!comment) return false
    insert(comment)
    return true
  }

  function refocusText(): void {
    if (textDraft.value) document.getElementById('annotation-text')?.focus()
  }

  async function saveToBank(): Promise<void> {
    const text = bankText.value
    if (!text || bankSaving.value) return
    if (bank.value.some((b) => b.text.trim() === text)) {
      bankMessage.value = t('desk.bank.already')
      refocusText()
      return
    }
    bankError.value = ''
    bankSaving.value = true
    refocusText() // keep typing / Enter in the comment field
    try {
      const comment = await gradingApi.addToBank(text.slice(0, 500))
      bank.value = [...bank.value, comment]
      bankMessage.value = t('desk.bank.saved')
    } catch (err) {
      bankError.value = errorMessage(err, t('desk.bank.saveFailed'))
    } finally {
      bankSaving.value = false
    }
  }

  async function removeFromBank(comment: BankComment): Promise<void> {
    bankError.value = ''
    try {
      await gradingApi.removeFromBank(comment.id)
      bank.value = bank.value.filter((b) => b.id !== comment.id)
    } catch (err) {
      bankError.value = errorMessage(err, t('desk.bank.removeFailed'))
    }
  }

  return {
    bank,
    bankError,
    bankMessage,
    bankSaving,
    bankText,
    textDraft,
    pendingBank,
    reset,
    load,
    onOpenText,
    onTextInput,
    commitText,
    cancelText,
    insert,
    insertNth,
    saveToBank,
    removeFromBank,
  }
}

export type CommentBank = ReturnType<typeof useCommentBank>
