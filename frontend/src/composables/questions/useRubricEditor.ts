/**
 * The rubric editor of one question: add an item, change an item's label / points / comment
 * (the server re-scores every copy using it, graded ones re-rendered), move an item up or down (its
 * number key follows), remove an unused item.
 * Each change answers with the rubric as it is now, handed to `onChanged`.
 */
import { computed, reactive, ref } from 'vue'
import { errorMessage, type Id } from '../../api/client'
import { rubricsApi, type RubricItem } from '../../api/rubrics'
import { t } from '../../i18n'
import { formatPoints, parseDecimal } from '../../lib/format'
import { pointsProblem, type RubricKind } from '../../lib/rubric'

export interface RubricForm {
  label: string
  kind: RubricKind
  points: string
  comment: string
}

export const emptyForm = (): RubricForm => ({ label: '', kind: 'delta', points: '', comment: '' })

/** The form's problem (a sentence), or ''. */
export function formProblem(form: RubricForm, max: number): string {
  if (form.label.trim() === '') return t('questions.errors.label')
  if (form.label.trim().length > 200) return t('questions.errors.labelLong')
  if (form.comment.length > 1000) return t('questions.errors.commentLong')
  const problem = pointsProblem(form.kind, parseDecimal(form.points), max)
  return problem ? t(`questions.errors.${problem}`, { max: formatPoints(max) }) : ''
}

export function useRubricEditor(opts: {
  examId: () => Id
  questionId: () => string
  maxPoints: () => number
  items: () => RubricItem[]
  onChanged: (items: RubricItem[]) => void
}) {
  const adding = reactive<RubricForm>(emptyForm())
  const editingId = ref<string | null>(null)
  const editing = reactive<RubricForm>(emptyForm())
  const busy = ref(false)
  const error = ref('')
  const message = ref('')
  const sorted = computed(() => [...opts.items()].sort((a, b) => a.position - b.position))

  async function run(action: () => Promise<string>): Promise<boolean> {
    busy.value = true
    error.value = ''
    message.value = ''
    try {
      message.value = await action()
      opts.onChanged(await rubricsApi.list(opts.examId(), opts.questionId()))
      return true
    } catch (err) {
      error.value = errorMessage(err, t('questions.rubric.failed'))
      return false
    } finally {
      busy.value = false
    }
  }

  async function add(): Promise<boolean> {
    const problem = formProblem(adding, opts.maxPoints())
    if (problem) {
      error.value = problem
      return false
    }
    const comment = adding.comment.trim()
    const ok = await run(async () => {
      await rubricsApi.create(opts.examId(), {
        question_id: opts.questionId(),
        label: adding.label.trim(),
        kind: adding.kind,
        points: parseDecimal(adding.points) ?? 0,
        ...(comment ? { comment } : {}),
      })
      return t('questions.rubric.added')
    })
    if (ok) Object.assign(adding, emptyForm())
    return ok
  }

  function startEdit(item: RubricItem): void {
    editingId.value = String(item.id)
    error.value = ''
    message.value = ''
    Object.assign(editing, {
      label: item.label,
      kind: item.kind,
      points: formatPoints(item.points),
      comment: item.comment ?? '',
    })
  }

  async function saveEdit(): Promise<boolean> {
    const item = sorted.value.find((i) => String(i.id) === editingId.value)
    if (!item) return false
    const problem = formProblem(editing, opts.maxPoints())
    if (problem) {
      error.value = problem
      return false
    }
    const ok = await run(async () => {
      const res = await rubricsApi.update(opts.examId(), item.id, item.version, {
        label: editing.label.trim(),
        kind: editing.kind,
        points: parseDecimal(editing.points) ?? 0,
        comment: editing.comment.trim() === '' ? null : editing.comment.trim(),
      })
      return t('questions.rubric.updated', { n: res.rescore.copies })
    })
    if (ok) editingId.value = null
    return ok
  }

  /** Move an item one place up (-1) or down (+1): the items' positions become 1…n in the new order
   * (a move re-scores nothing: only the order, and so the number keys, change). */
  async function move(item: RubricItem, delta: -1 | 1): Promise<void> {
    const order = [...sorted.value]
    const from = order.findIndex((i) => i.id === item.id)
    const to = from + delta
    if (from < 0 || to < 0 || to >= order.length) return
    order.splice(to, 0, ...order.splice(from, 1))
    await run(async () => {
      for (const [index, entry] of order.entries()) {
        if (entry.position !== index + 1) {
          await rubricsApi.update(opts.examId(), entry.id, entry.version, { position: index + 1 })
        }
      }
      return t('questions.rubric.moved')
    })
  }

  async function remove(item: RubricItem): Promise<void> {
    await run(async () => {
      await rubricsApi.remove(opts.examId(), item.id, item.version)
      return t('questions.rubric.removed')
    })
  }

  return { adding, editing, editingId, busy, error, message, sorted, add, startEdit, saveEdit, move, remove }
}
