/**
 * Typed calls for regrade requests (issue 15): a student asks, after release and within the
 * exam's window, for one question of a released copy to be looked at again; the teacher who
 * graded it (or an admin) answers, possibly with a new score, and the copy is re-rendered.
 *
 * Same conventions as `client.ts`: relative `/api/...` URLs, cookie session, CSRF header on
 * state-changing calls, `ApiError` on failure.
 */
import { request, type Id } from './client'
import type { Exam } from './exams'

// ---------------------------------------------------------------------------
// Types of the API contract
// ---------------------------------------------------------------------------

export type RegradeStatus = 'OPEN' | 'ANSWERED'

/** One regrade request; teachers never get the student's identity, admins also get `student_name`. */
export interface RegradeRequest {
  copy_id: Id
  exam_id: Id
  exam_name: string
  anonymous_id: string
  question_id: string
  question_label: string
  status: RegradeStatus
  message: string
  answer: string | null
  score_before: number | null
  score_after: number | null
  answered_by_name: string | null
  created_at: string
  answered_at: string | null
  version: number
  /** Admins only. */
  student_name?: string
}

/** A question of the student's copy, as the request form offers it. */
export interface RegradeQuestion {
  id: string
  label: string
  score: number | null
  max_points: number
}

/** The regrade side of one released copy of the signed-in student. */
export interface MyRegrades {
  /** When the window closes (ISO); null when there is none (not released). */
  window_closes_at: string | null
  can_request: boolean
  questions: RegradeQuestion[]
  requests: RegradeRequest[]
}

export interface RegradeRegion {
  page: number
  x: number
  y: number
  w: number
  h: number
}

export interface RegradeQuestionInfo {
  id: string
  label: string
  max_points: number
  region: RegradeRegion | null
}

export interface RegradePage {
  index?: number
  url: string
  width?: number
  height?: number
}

export interface RubricItem {
  id: string
  question_id: string
  position: number
  label: string
  kind: 'delta' | 'absolute'
  points: number
  comment: string | null
  version: number
}

/** The current score of the question: the question-mode shape, or only `score` in copy mode. */
export interface RegradeScore {
  score: number | null
  rubric_item_ids?: string[]
  adjustment?: number
  remark?: string
  complete?: boolean
  version?: number
}

/** A request opened by staff: what is needed to answer it. */
export interface RegradeDetail extends RegradeRequest {
  question: RegradeQuestionInfo
  page: RegradePage | null
  score: RegradeScore | null
  rubric: RubricItem[]
}

export interface RegradeAnswerInput {
  version: number
  answer: string
  /** A manual score (copy mode). */
  score?: number
  /** The rubric items applied (question mode). */
  rubric_item_ids?: string[]
  adjustment?: number
}

/** The exam as `PATCH /api/exams/{id}` gives it back, with the regrade window. */
export type ExamWithWindow = Exam & { regrade_window_days?: number; grading_mode?: 'COPY' | 'QUESTION' }

/** The most a message or an answer may hold. */
export const REGRADE_TEXT_MAX = 2000

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

const enc = (id: Id): string => encodeURIComponent(String(id))
const myPath = (copyId: Id): string => `/api/students/me/copies/${enc(copyId)}/regrades`
const staffPath = (copyId: Id, questionId: string, rest = ''): string =>
  `/api/regrades/${enc(copyId)}/${enc(questionId)}${rest}`

export const regradesApi = {
  /** The window, the questions and the requests of one released copy of the signed-in student. */
  mine(copyId: Id): Promise<MyRegrades> {
    return request<MyRegrades>(myPath(copyId))
  },

  /** Files a request on one question (409 `regrade_open`, `regrade_window_closed`). */
  file(copyId: Id, questionId: string, message: string): Promise<RegradeRequest> {
    return request<RegradeRequest>(myPath(copyId), { method: 'POST', body: { question_id: questionId, message } })
  },

  /** The caller's queue (a teacher: their questions or copies; an admin: every exam's). */
  async queue(status?: RegradeStatus): Promise<RegradeRequest[]> {
    return (await request<{ requests: RegradeRequest[] }>('/api/regrades', { query: { status } })).requests
  },

  /** One request with the question, its page and its current score. */
  detail(copyId: Id, questionId: string): Promise<RegradeDetail> {
    return request<RegradeDetail>(staffPath(copyId, questionId))
  },

  /** Answers a request, with a new score or not (409 `regrade_changed` on a stale version). */
  answer(copyId: Id, questionId: string, input: RegradeAnswerInput): Promise<RegradeRequest> {
    return request<RegradeRequest>(staffPath(copyId, questionId, '/answer'), { method: 'POST', body: input })
  },

  /** Every request of an exam with its state (admins). */
  async ofExam(examId: Id): Promise<RegradeRequest[]> {
    return (await request<{ requests: RegradeRequest[] }>(`/api/exams/${enc(examId)}/regrades`)).requests
  },

  /** Sets how many days after release students may ask (admins). */
  setWindow(examId: Id, days: number): Promise<ExamWithWindow> {
    return request<ExamWithWindow>(`/api/exams/${enc(examId)}`, { method: 'PATCH', body: { regrade_window_days: days } })
  },
}
