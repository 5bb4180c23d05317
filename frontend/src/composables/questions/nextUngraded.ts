/**
 * "Next / previous ungraded" on a question: the copies still to grade (question not complete, copy
 * READY, nobody else's lock on it), in the list's anonymous-id order, after (or before) the current
 * one and wrapping around; never the current copy itself.
 */
import type { Id } from '../../api/client'
import type { QuestionCopy } from '../../api/questions'

export function isToGrade(c: QuestionCopy): boolean {
  return !c.complete && c.status === 'READY' && !(c.lock && !c.lock.mine)
}

export function neighbourToGrade(copies: readonly QuestionCopy[], current: Id | null, delta: 1 | -1 = 1): QuestionCopy | null {
  const n = copies.length
  if (n === 0) return null
  const at = current === null ? -1 : copies.findIndex((c) => String(c.copy_id) === String(current))
  for (let step = 1; step <= n; step++) {
    const i = at === -1 ? (delta > 0 ? step - 1 : n - step) : (((at + delta * step) % n) + n) % n
    const c = copies[i]!
    if (String(c.copy_id) !== String(current) && isToGrade(c)) return c
  }
  return null
}
