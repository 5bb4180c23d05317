/**
 * The correction side of the identification desk: identified copies (to
 * change a student), the roster's students without a copy, the copy being
 * corrected, and the last confirmation (to undo it).
 */
import { ref } from 'vue'
import type { Id } from '../api/client'
import { examsApi, type IdentificationDesk, type IdentifiedCopy, type StudentRef } from '../api/exams'
import type { Confirmation } from '../lib/identification'

export function useIdentificationCorrections(examId: () => Id) {
  const identified = ref<IdentifiedCopy[]>([])
  const withoutCopy = ref<StudentRef[]>([])
  const showIdentified = ref(false)
  /** The identified copy whose student is being changed (shown in place of the queue's copy). */
  const correcting = ref<IdentifiedCopy | null>(null)
  const last = ref<Confirmation | null>(null)

  function apply(desk: IdentificationDesk): void {
    identified.value = [...desk.identified].sort((a, b) => a.anonymous_id.localeCompare(b.anonymous_id))
    withoutCopy.value = desk.students_without_copy
  }

  /** Reloads the identified copies and the students without a copy (the queue is left alone). */
  async function refresh(): Promise<void> {
    try {
      apply(await examsApi.identificationDesk(examId()))
    } catch {
      // Secondary lists: the next refresh will try again.
    }
  }

  function startCorrection(copy: IdentifiedCopy): void {
    correcting.value = copy
  }

  function stopCorrection(): void {
    correcting.value = null
  }

  return { identified, withoutCopy, showIdentified, correcting, last, apply, refresh, startCorrection, stopCorrection }
}
