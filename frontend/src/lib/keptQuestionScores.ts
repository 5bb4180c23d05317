/**
 * Question scores kept in the browser while they cannot reach the server: a save refused because the
 * session ended (401), or a tab closed with unsaved changes (its last `keepalive` save may or may not
 * have landed). Kept in localStorage per account, copy and question
 * (`korrigo:kept-question:<account>:<copy>:<question>`) with the score version they were typed on.
 *
 * When the question desk opens that copy on that question again (after signing back in, it returns
 * there), `reclaim` says what to do: 'restore' the form when the server still holds the version they
 * were typed on; 'landed' when the server holds exactly these changes (forgotten); 'moved' when someone
 * saved other changes meanwhile (forgotten, and the desk says they were not applied).
 */
import type { Id } from '../api/client'
import type { QuestionScore } from '../api/questions'

const PREFIX = 'korrigo:kept-question:'

/** The form's fields, as typed. */
export interface QuestionForm {
  rubric_item_ids: string[]
  adjustmentText: string
  remark: string
}

export interface KeptQuestionScore extends QuestionForm {
  /** The server score version the changes were typed on. */
  version: number
  keptAt: number
}

export type Reclaimed = { outcome: 'restore'; form: QuestionForm } | { outcome: 'landed' | 'moved' | 'none' }

function keyOf(account: Id, copyId: Id, questionId: string): string {
  return `${PREFIX}${String(account)}:${String(copyId)}:${questionId}`
}

/** Keeps the form of `copyId` × `questionId` typed by `account` on top of score `version`. */
export function keepQuestionScore(account: Id, copyId: Id, questionId: string, version: number, form: QuestionForm): void {
  const kept: KeptQuestionScore = { ...form, rubric_item_ids: [...form.rubric_item_ids], version, keptAt: Date.now() }
  try {
    window.localStorage.setItem(keyOf(account, copyId, questionId), JSON.stringify(kept))
  } catch {
    // Storage full or unavailable: nothing more can be done in the browser.
  }
}

/** Forgets the kept form of one copy and question (saved, or reclaimed). */
export function forgetQuestionScore(account: Id, copyId: Id, questionId: string): void {
  try {
    window.localStorage.removeItem(keyOf(account, copyId, questionId))
  } catch {
    // Nothing to forget.
  }
}

function kept(account: Id, copyId: Id, questionId: string): KeptQuestionScore | null {
  try {
    const raw = window.localStorage.getItem(keyOf(account, copyId, questionId))
    return raw ? (JSON.parse(raw) as KeptQuestionScore) : null
  } catch {
    return null
  }
}

const sameItems = (a: readonly (string | number)[], b: readonly (string | number)[]): boolean =>
  [...a].map(String).sort().join('|') === [...b].map(String).sort().join('|')

/** What to do with a kept form now that the server holds `server` (see the module comment). */
export function reclaimQuestionScore(account: Id, copyId: Id, questionId: string, server: QuestionScore): Reclaimed {
  const form = kept(account, copyId, questionId)
  if (!form) return { outcome: 'none' }
  if (form.version === server.version) {
    return { outcome: 'restore', form: { rubric_item_ids: form.rubric_item_ids, adjustmentText: form.adjustmentText, remark: form.remark } }
  }
  forgetQuestionScore(account, copyId, questionId)
  const landed = sameItems(form.rubric_item_ids, server.rubric_item_ids) && form.remark === (server.remark ?? '')
  return { outcome: landed ? 'landed' : 'moved' }
}
