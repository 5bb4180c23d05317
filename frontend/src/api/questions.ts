/**
 * Typed calls of question-first grading (issue 15): the admin dispatches an exam by question and
 * sets each question's region on a sample copy; a teacher goes through the copies on one question,
 * under a lock per copy and question (`X-Lock-Token` like the copy-mode routes).
 */
import { ApiError, isRecord, request, type Id } from './client'
import type { CopyStatus, Exam } from './exams'
import type { RubricItem } from './rubrics'

export type GradingMode = 'COPY' | 'QUESTION'

/** A question's box on its page, every value in 0 … 1 of the page; `page` is 0-based. */
export interface QuestionRegion {
  page: number
  x: number
  y: number
  w: number
  h: number
}

/** What issue 15 adds to an exam (`services/exams.serialise`). */
export interface QuestionFields {
  grading_mode?: GradingMode
  question_teachers?: Record<string, Id[]>
  question_regions?: Record<string, QuestionRegion>
  regrade_window_days?: number
}

export type ExamWithQuestions = Exam & QuestionFields

/** A row of "Mes questions". */
export interface TeacherQuestion {
  exam_id: Id
  exam_name: string
  question_id: string
  label: string
  max_points: number
  total: number
  complete: number
}

export interface QuestionInfo {
  id: string
  label: string
  max_points: number
  region: QuestionRegion | null
}

export interface QuestionLockInfo {
  holder_name: string
  expires_at?: string
  mine: boolean
}

export interface QuestionCopy {
  copy_id: Id
  anonymous_id: string
  status: CopyStatus
  score: number | null
  complete: boolean
  lock: QuestionLockInfo | null
}

export interface QuestionCopies {
  question: QuestionInfo
  copies: QuestionCopy[]
  complete: number
  total: number
}

export interface QuestionScore {
  rubric_item_ids: string[]
  adjustment: number
  score: number | null
  remark: string
  complete: boolean
  version: number
}

export interface QuestionPage {
  index: number
  url: string
  width: number
  height: number
}

export interface CopyQuestion {
  copy_id: Id
  exam_id: Id
  anonymous_id: string
  status: CopyStatus
  question: QuestionInfo
  page: QuestionPage
  score: QuestionScore
  rubric: RubricItem[]
  /** Items removed from the rubric that this copy still applies (applied just before their removal). */
  retired?: RubricItem[]
  lock: QuestionLockInfo | null
}

export interface QuestionScoreInput {
  version: number
  rubric_item_ids: string[]
  adjustment: number
  remark: string
  complete: boolean
}

export interface QuestionScoreSaved {
  score: QuestionScore
  copy_status: CopyStatus
  finalised: boolean
}

export interface LockGrant {
  token: string
  expires_at: string
}

const enc = (id: Id): string => encodeURIComponent(String(id))
const cqPath = (copyId: Id, questionId: string, rest = ''): string =>
  `/api/copies/${enc(copyId)}/questions/${enc(questionId)}${rest}`
const lockHeader = (token: string | null): Record<string, string> => (token ? { 'X-Lock-Token': token } : {})

export const questionsApi = {
  /** Admin: dispatch by copy (today's) or by question, each leaf to one or more of the exam's teachers. */
  saveDispatch(examId: Id, mode: GradingMode, assignments: Record<string, Id[]>): Promise<ExamWithQuestions> {
    return request<ExamWithQuestions>(`/api/exams/${enc(examId)}/question-dispatch`, {
      method: 'PUT',
      body: { mode, assignments },
    })
  },

  /** Admin: each question's page and box, set once on a sample copy. */
  saveRegions(examId: Id, regions: Record<string, QuestionRegion>): Promise<ExamWithQuestions> {
    return request<ExamWithQuestions>(`/api/exams/${enc(examId)}/question-regions`, { method: 'PUT', body: { regions } })
  },

  /** The caller's questions in question-mode exams ("Mes questions"). */
  async teacherQuestions(): Promise<TeacherQuestion[]> {
    return (await request<{ questions: TeacherQuestion[] }>('/api/teacher/questions')).questions
  },

  /** The exam's identified copies on one question, anonymous-id order. */
  questionCopies(examId: Id, questionId: string): Promise<QuestionCopies> {
    return request<QuestionCopies>(`/api/exams/${enc(examId)}/questions/${enc(questionId)}/copies`)
  },

  /** One copy on one question: its region's page, score, rubric, lock. */
  copyQuestion(copyId: Id, questionId: string): Promise<CopyQuestion> {
    return request<CopyQuestion>(cqPath(copyId, questionId))
  },

  /** 201 new / 200 already yours; 409 when another teacher (or a copy-mode lock) holds it. */
  lock(copyId: Id, questionId: string): Promise<LockGrant> {
    return request<LockGrant>(cqPath(copyId, questionId, '/lock'), { method: 'POST' })
  },

  heartbeat(copyId: Id, questionId: string, token: string): Promise<{ expires_at: string }> {
    return request<{ expires_at: string }>(cqPath(copyId, questionId, '/lock/heartbeat'), {
      method: 'POST',
      headers: lockHeader(token),
    })
  },

  /** Releases the lock (its holder) or breaks it (an admin, without a token). */
  async unlock(copyId: Id, questionId: string, token: string | null, keepalive = false): Promise<void> {
    await request<void>(cqPath(copyId, questionId, '/lock'), { method: 'DELETE', headers: lockHeader(token), keepalive })
  },

  /** Saves the question's score (computed by the server from the items and the adjustment);
   * `keepalive` lets the save outlive a page that is going away. */
  saveScore(
    copyId: Id,
    questionId: string,
    token: string | null,
    input: QuestionScoreInput,
    keepalive = false,
  ): Promise<QuestionScoreSaved> {
    return request<QuestionScoreSaved>(cqPath(copyId, questionId, '/score'), {
      method: 'PUT',
      headers: lockHeader(token),
      body: input,
      keepalive,
    })
  },

  /** Admin: renders a copy whose every question is scored. */
  finalise(copyId: Id): Promise<{ status: CopyStatus }> {
    return request<{ status: CopyStatus }>(`/api/copies/${enc(copyId)}/finalise-questions`, { method: 'POST' })
  },
}

/** Who holds the question lock of a 409 `lock_held_by_other` (the name in `params`, or `holder`). */
export function questionLockHolder(err: unknown): string | null {
  if (!(err instanceof ApiError) || err.status !== 409) return null
  if (err.reason === 'lock_held_by_other' && typeof err.params.name === 'string') return err.params.name
  const holder = isRecord(err.details) ? err.details.holder : undefined
  return typeof holder === 'string' && holder !== '' ? holder : null
}

/** True when a score save was refused because the lock is gone. */
export function isQuestionLockLost(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false
  if (err.reason === 'lock_token_invalid' || err.reason === 'lock_lost' || err.reason === 'lock_expired') return true
  return err.status === 409 && isRecord(err.details) && err.details.lock_required === true
}
