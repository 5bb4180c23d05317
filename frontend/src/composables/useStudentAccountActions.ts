/**
 * What an admin does to the accounts of selected roster students: reset one
 * student's password (a one-time credentials link), disable / enable, end
 * sessions (one or many students of the exam at once), with a status line.
 */
import { computed, ref, type Ref } from 'vue'
import { errorMessage, type Id } from '../api/client'
import { t } from '../i18n'
import { studentsApi, type BulkAccountAction, type StudentAccount } from '../api/students'

export interface StudentAccountActions {
  busy: Ref<boolean>
  status: Ref<string>
  error: Ref<string>
  /** One-time link to the new initial password of `resetFor`, until it is used. */
  credentialsUrl: Ref<string | null>
  credentialsUsed: Ref<boolean>
  resetFor: Ref<StudentAccount | null>
  canReset: Ref<boolean>
  canDisable: Ref<boolean>
  canEnable: Ref<boolean>
  resetPassword: () => Promise<void>
  apply: (action: BulkAccountAction) => Promise<void>
}

export function fullName(student: Pick<StudentAccount, 'first_name' | 'last_name'>): string {
  return `${student.first_name} ${student.last_name}`.trim()
}

/** The status line after a bulk action on `selected` students of which `changed` changed. */
export function bulkMessage(action: BulkAccountAction, selected: number, changed: number): string {
  if (action === 'revoke_sessions') return t('roster.accounts.signedOut', { n: selected })
  const done =
    action === 'disable'
      ? t('roster.accounts.disabledCount', { n: changed })
      : t('roster.accounts.enabledCount', { n: changed })
  const unchanged = selected - changed
  const key = action === 'disable' ? 'roster.accounts.alreadyDisabled' : 'roster.accounts.alreadyEnabled'
  const rest = unchanged > 0 ? ` ${t(key, { n: unchanged })}` : ''
  return `${done}${rest}.`
}

export function useStudentAccountActions(
  examId: () => Id,
  students: () => StudentAccount[],
  onChanged: () => void,
): StudentAccountActions {
  const busy = ref(false)
  const status = ref('')
  const error = ref('')
  const credentialsUrl = ref<string | null>(null)
  const credentialsUsed = ref(false)
  const resetFor = ref<StudentAccount | null>(null)

  const canReset = computed(() => !busy.value && students().length === 1)
  const canDisable = computed(() => !busy.value && students().some((s) => s.active))
  const canEnable = computed(() => !busy.value && students().some((s) => !s.active))

  function start(): void {
    busy.value = true
    status.value = ''
    error.value = ''
  }

  async function resetPassword(): Promise<void> {
    const [only] = students()
    if (students().length !== 1 || only === undefined) return
    start()
    credentialsUrl.value = null
    credentialsUsed.value = false
    try {
      const result = await studentsApi.resetPassword(only.id, examId())
      resetFor.value = only
      credentialsUrl.value = result.credentials_csv_url
      status.value = t('roster.accounts.resetDone', { name: fullName(only) })
      onChanged()
    } catch (err) {
      error.value = errorMessage(err, t('roster.accounts.resetFailed'))
    } finally {
      busy.value = false
    }
  }

  async function apply(action: BulkAccountAction): Promise<void> {
    const selected = students()
    if (selected.length === 0) return
    start()
    try {
      const changed = await studentsApi.applyToExamStudents(
        examId(),
        selected.map((s) => s.id),
        action,
      )
      status.value = bulkMessage(action, selected.length, changed)
      onChanged()
    } catch (err) {
      error.value = errorMessage(err, t('roster.accounts.saveFailed'))
    } finally {
      busy.value = false
    }
  }

  return {
    busy,
    status,
    error,
    credentialsUrl,
    credentialsUsed,
    resetFor,
    canReset,
    canDisable,
    canEnable,
    resetPassword,
    apply,
  }
}
