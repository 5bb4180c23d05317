/**
 * Typed calls of the shared rubrics (issue 15): per question, an ordered list of items shared by
 * everyone grading that question. Editing an item's points or text re-scores every copy using it
 * (the answer says how many). Same conventions as `client.ts`.
 */
import { request, type Id } from './client'
import type { RubricKind } from '../lib/rubric'

export interface RubricItem {
  id: string
  question_id: string
  position: number
  label: string
  kind: RubricKind
  points: number
  comment: string | null
  version: number
}

export interface NewRubricItem {
  question_id: string
  label: string
  kind: RubricKind
  points: number
  comment?: string
}

export interface RubricChanges {
  label?: string
  kind?: RubricKind
  points?: number
  comment?: string | null
  position?: number
}

export interface RubricUpdate {
  item: RubricItem
  rescore: { copies: number }
}

/** One row of the per-item statistics (`stats.rubric` of `GET /api/exams/{id}/stats`). */
export interface RubricStat {
  question_id: string
  item_id: string
  label: string
  points: number
  kind: RubricKind
  count: number
}

const enc = (id: Id): string => encodeURIComponent(String(id))
const rubricPath = (examId: Id, rest = ''): string => `/api/exams/${enc(examId)}/rubrics${rest}`

export const rubricsApi = {
  /** The exam's items, by question then position (deleted ones left out); one question with `questionId`. */
  async list(examId: Id, questionId?: string): Promise<RubricItem[]> {
    return (await request<{ items: RubricItem[] }>(rubricPath(examId), { query: { question_id: questionId } })).items
  },

  /** Appends an item to its question's rubric (201). */
  create(examId: Id, input: NewRubricItem): Promise<RubricItem> {
    return request<RubricItem>(rubricPath(examId), { method: 'POST', body: input })
  },

  /** Changes an item; 409 `rubric_item_changed` when someone changed it since `version`. */
  update(examId: Id, itemId: Id, version: number, changes: RubricChanges): Promise<RubricUpdate> {
    return request<RubricUpdate>(rubricPath(examId, `/${enc(itemId)}`), { method: 'PATCH', body: { version, ...changes } })
  },

  /** Removes an item no copy uses (409 `rubric_item_in_use` otherwise). */
  async remove(examId: Id, itemId: Id, version: number): Promise<void> {
    await request<void>(rubricPath(examId, `/${enc(itemId)}`), { method: 'DELETE', query: { version } })
  },
}
