/**
 * Typed calls for the results: the student portal (own released results and
 * the short-lived download link of the graded PDF), the admin release switch,
 * the CSV exports and the statistics (the audit trail is `api/audit.ts`).
 *
 * Same conventions as `client.ts`: relative `/api/...` URLs, cookie session,
 * CSRF header on state-changing calls, `ApiError` on failure. The exports come
 * back as a Blob (see `requestBlob`) so that a 409 can be shown on the page.
 */
import { request, requestBlob, type DownloadedFile, type Id } from './client'

// ---------------------------------------------------------------------------
// Types of the API contract
// ---------------------------------------------------------------------------

export interface QuestionResult {
  id: string
  label: string
  /** Null when the question has no score (should not happen on a GRADED copy). */
  score: number | null
  max_points: number
  remark: string
}

/** One released, graded copy of the signed-in student. */
export interface StudentResult {
  id: Id
  exam_id: Id
  exam_name: string
  subject: string
  /** YYYY-MM-DD */
  date: string
  anonymous_id: string
  total: number
  max_points: number
  questions: QuestionResult[]
  appreciation: string
  released_at: string | null
}

export interface DownloadLink {
  /** Pre-signed GET URL of the final PDF (served as an attachment). */
  url: string
  /** Seconds the link stays valid (≤ 300). */
  expires_in: number
}

export interface ReleaseResponse {
  released_at: string
}

/** Descriptive statistics; every number is null when `count` is 0. */
export interface Summary {
  count: number
  mean: number | null
  median: number | null
  stdev: number | null
  min: number | null
  max: number | null
}

export interface HistogramBucket {
  from: number
  to: number
  count: number
}

export interface QuestionStats extends Summary {
  id: string
  label: string
  max_points: number
}

export interface ExamStats extends Summary {
  max_points: number
  histogram: HistogramBucket[]
  questions: QuestionStats[]
}

/** A column of the gradebook: one scored question (a leaf of the marking scheme). */
export interface GradebookQuestion {
  id: string
  /** The question's path, e.g. "Exercise 1 › a". */
  label: string
  max_points: number
}

/** A pupil as the gradebook and the release check show them (admins only). */
export interface GradebookStudent {
  id: Id
  last_name: string
  first_name: string
  class_name: string | null
  group: string | null
  student_number: string | null
}

export interface GradebookCopy {
  id: Id
  anonymous_id: string
  /** A copy status (STAGING … GRADED): show it with `copyStatusLabel`. */
  status: string
}

/**
 * One row: a copy (with its student when identified) or a roster student
 * without a copy (`copy` null). Scores are those saved so far (final once GRADED).
 */
export interface GradebookRow {
  student: GradebookStudent | null
  copy: GradebookCopy | null
  /** Question id → points, null when not scored. */
  scores: Record<string, number | null>
  total: number | null
}

export interface Gradebook {
  exam_id: Id
  max_points: number
  released_at: string | null
  questions: GradebookQuestion[]
  rows: GradebookRow[]
}

/** Why a student cannot sign in to the portal. */
export type SignInBlocker = 'no_sign_in_id' | 'no_password' | 'disabled' | 'initial_password_expired' | (string & {})

/** What needs attention before the release (releasing stays possible). */
export interface ReleaseCheck {
  exam_id: Id
  released_at: string | null
  attention_needed: boolean
  students_without_copy: GradebookStudent[]
  copies_not_graded: { count: number; by_status: Record<string, number>; copies: GradebookCopy[] }
  copies_not_identified: GradebookCopy[]
  students_cannot_sign_in: (GradebookStudent & { reasons: SignInBlocker[] })[]
}

// ---------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------

const enc = (id: Id): string => encodeURIComponent(String(id))
const examPath = (id: Id, rest = ''): string => `/api/exams/${enc(id)}${rest}`
const myCopyPath = (id: Id, rest = ''): string => `/api/students/me/copies/${enc(id)}${rest}`

export const resultsApi = {
  // --- student --------------------------------------------------------------

  async myResults(): Promise<StudentResult[]> {
    return (await request<{ copies: StudentResult[] }>('/api/students/me/copies')).copies
  },

  myResult(copyId: Id): Promise<StudentResult> {
    return request<StudentResult>(myCopyPath(copyId))
  },

  /** A fresh, short-lived link: ask for it on each click, never keep it. */
  myDownloadLink(copyId: Id): Promise<DownloadLink> {
    return request<DownloadLink>(myCopyPath(copyId, '/download'))
  },

  // --- admin ----------------------------------------------------------------

  release(examId: Id): Promise<ReleaseResponse> {
    return request<ReleaseResponse>(examPath(examId, '/release'), { method: 'POST' })
  },

  async unrelease(examId: Id): Promise<void> {
    await request<void>(examPath(examId, '/release'), { method: 'DELETE' })
  },

  /** Results CSV (identities, totals, questions); 409 when no copy is graded. */
  exportCsv(examId: Id): Promise<DownloadedFile> {
    return requestBlob(examPath(examId, '/export.csv'))
  },

  /** The Pronote import file; 409 when no copy is graded. */
  exportPronote(examId: Id): Promise<DownloadedFile> {
    return requestBlob(examPath(examId, '/pronote.csv'))
  },

  /** Students × questions (admins: it names the pupils). */
  gradebook(examId: Id): Promise<Gradebook> {
    return request<Gradebook>(examPath(examId, '/gradebook'))
  },

  /** The gradebook as a CSV (French headers; French Excel by default). */
  exportGradebook(examId: Id): Promise<DownloadedFile> {
    return requestBlob(examPath(examId, '/gradebook.csv'))
  },

  /** What needs attention before releasing the results. */
  releaseCheck(examId: Id): Promise<ReleaseCheck> {
    return request<ReleaseCheck>(examPath(examId, '/release-check'))
  },

  stats(examId: Id): Promise<ExamStats> {
    return request<ExamStats>(examPath(examId, '/stats'))
  },
}
