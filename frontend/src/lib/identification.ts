/**
 * Rules of the identification desk that do not depend on the screen: when a
 * confirmation deserves a warning, and how the last one is undone.
 */
import type { Id } from '../api/client'
import { examsApi, type IdentificationCopy, type StudentRef } from '../api/exams'
import { t } from '../i18n'

/** The last confirmation made on the desk: enough to undo it. */
export interface Confirmation {
  copy: IdentificationCopy
  student: StudentRef
  /** The student the copy had before (it was a correction), or null (it was waiting). */
  previous: StudentRef | null
}

/**
 * True when confirming `studentId` for `copy` needs a second look: the name is
 * not the copy's high-confidence match (there is none, or it is someone else).
 */
export function needsWarning(copy: IdentificationCopy, studentId: Id): boolean {
  return copy.auto_student_id == null || String(copy.auto_student_id) !== String(studentId)
}

/** The warning shown before such a confirmation. */
export function warningText(copy: IdentificationCopy, name: string, current: StudentRef | null): string {
  if (current) return t('identification.warn.correction', { id: copy.anonymous_id, current: current.name, name })
  const auto = copy.auto_student_id != null
    ? copy.suggestions.find((s) => String(s.student_id) === String(copy.auto_student_id))
    : undefined
  return auto
    ? t('identification.warn.notAuto', { id: copy.anonymous_id, auto: auto.name, name })
    : t('identification.warn.noAuto', { id: copy.anonymous_id, name })
}

/** Undoes a confirmation: back to the desk, or back to the previous student when it was a correction. */
export async function undoConfirmation(last: Confirmation): Promise<void> {
  if (last.previous) await examsApi.identify(last.copy.id, last.previous.id)
  else await examsApi.unidentify(last.copy.id)
}

/** What the desk says once a confirmation is undone. */
export function undoneText(last: Confirmation): string {
  return last.previous
    ? t('identification.undone.previous', { id: last.copy.anonymous_id, name: last.previous.name })
    : t('identification.undone.back', { id: last.copy.anonymous_id })
}
