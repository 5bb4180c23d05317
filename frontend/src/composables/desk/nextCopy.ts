/**
 * "Next copy": the next copy of the same exam, assigned to this teacher, that
 * is READY (not graded, not being graded by anyone), in anonymous-id order
 * after the current one and wrapping around. Read from the teacher's copy
 * list (`GET /api/teacher/copies`, the dashboard's).
 */
import type { Id } from '../../api/client'
import { gradingApi, type TeacherCopy } from '../../api/grading'

const byAnonymousId = (a: Pick<TeacherCopy, 'anonymous_id'>, b: Pick<TeacherCopy, 'anonymous_id'>) =>
  a.anonymous_id.localeCompare(b.anonymous_id, undefined, { numeric: true })

/** The copy to open after `current` (never `current` itself), or null when none is left. */
export function nextReadyCopy(
  copies: readonly TeacherCopy[],
  current: Pick<TeacherCopy, 'id' | 'exam_id' | 'anonymous_id'>,
): TeacherCopy | null {
  const ready = copies
    .filter((c) => String(c.exam_id) === String(current.exam_id) && c.status === 'READY' && String(c.id) !== String(current.id))
    .sort(byAnonymousId)
  return ready.find((c) => byAnonymousId(c, current) > 0) ?? ready[0] ?? null
}

/** Asks the server for the teacher's copies, then picks the next one. */
export async function fetchNextCopy(current: { id: Id; exam_id: Id; anonymous_id: string }): Promise<TeacherCopy | null> {
  return nextReadyCopy(await gradingApi.teacherCopies(), current)
}
