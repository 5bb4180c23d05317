/**
 * Typed calls of the grading desk: the teacher's copies, the copy detail,
 * the grading lock, the autosaved draft, annotations, scores, finalising,
 * the history timeline and the personal comment bank.
 *
 * Same conventions as `client.ts` (it does the work). Every grading write
 * carries the lock token as `X-Lock-Token`: the functions taking a `token`
 * argument send it.
 */
import { ApiError, isRecord, request, type Id } from './client'
import type { CopyStatus, MarkingScheme } from './exams'

// ---------------------------------------------------------------------------
// Types of the API contract
// ---------------------------------------------------------------------------

/** Why and when an admin reopened a graded copy (until it is finalised again). */
export interface Reopened {
  reason: string
  at: string
}

export interface TeacherCopy {
  id: Id
  exam_id: Id
  exam_name: string
  anonymous_id: string
  status: CopyStatus
  page_count: number
  updated_at: string | null
  reopened?: Reopened | null
}

export interface CopyPage {
  index: number
  /** JPEG image (identity header masked for teachers). */
  url: string
  width: number
  height: number
}

export interface ScoreSheet {
  scores: Record<string, number>
  remarks: Record<string, string>
  appreciation: string
  total: number
  version: number
  max?: number
}

export type AnnotationType = 'rect' | 'ink' | 'tick' | 'cross' | 'text'

export interface RectGeometry {
  x: number
  y: number
  w: number
  h: number
}

export interface InkGeometry {
  points: [number, number][]
}

export interface PointGeometry {
  x: number
  y: number
}

export type Geometry = RectGeometry | InkGeometry | PointGeometry

export interface Annotation {
  id: Id
  page_index: number
  type: AnnotationType
  geometry: Geometry
  text?: string | null
  version: number
}

export interface NewAnnotation {
  page_index: number
  type: AnnotationType
  geometry: Geometry
  text?: string
}

/** What a PATCH may change. Annotations carry no points: scores come only from the score sheet. */
export interface AnnotationChanges {
  geometry?: Geometry
  text?: string
}

export interface LockInfo {
  holder_id: Id
  holder_name: string
  expires_at: string
  mine: boolean
}

export interface CopyDetail {
  id: Id
  exam_id: Id
  exam_name: string
  anonymous_id: string
  status: CopyStatus
  page_count: number
  pages: CopyPage[]
  scheme: MarkingScheme | null
  max_points: number
  scores: ScoreSheet
  annotations: Annotation[]
  lock: LockInfo | null
  grading_error: string | null
  /** The render failure's stable code (`failures.<reason>`) and values; absent on older records. */
  grading_error_reason?: string | null
  grading_error_params?: Record<string, unknown> | null
  grading_attempts: number
  final_pdf_available: boolean
  reopened?: Reopened | null
}

/** GET /api/copies/{id}/status: what changes while a copy is open (no page URLs; cheap to poll). */
export type CopyState = Pick<
  CopyDetail,
  'id' | 'exam_id' | 'status' | 'lock' | 'grading_error' | 'grading_error_reason' | 'grading_error_params' | 'grading_attempts' | 'final_pdf_available' | 'reopened'
> & { version: number; updated_at: string }

export interface LockGrant {
  token: string
  expires_at: string
}

export interface Draft<P = unknown> {
  version: number
  payload: P | null
  updated_at: string | null
  client_id?: string | null
}

export interface DraftSaved {
  version: number
  updated_at: string
}

export interface ScoresInput {
  /** The score sheet's version this save builds on (0: none yet); 409 when someone saved meanwhile. */
  version?: number
  scores: Record<string, number>
  remarks: Record<string, string>
  appreciation: string
}

export interface ScoresSaved extends ScoreSheet {
  max: number
}

export interface FinalizeResult {
  status: CopyStatus
}

export interface FinalPdf {
  url: string
  expires_in: number
}

export interface HistoryEvent {
  id: Id
  at: string
  action: string
  outcome: string
  actor_id: Id | null
  actor_role: string | null
  metadata: Record<string, unknown> | null
}

export interface BankComment {
  id: Id
  text: string
  usage_count: number
}

/** How often the desk polls GET /api/copies/{id}/status while the final PDF renders. */
export const STATUS_POLL_MS = 1500

// ---------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------

const enc = (id: Id): string => encodeURIComponent(String(id))
const copyPath = (id: Id, rest = ''): string => `/api/copies/${enc(id)}${rest}`
const lockHeader = (token: string | null): Record<string, string> => (token ? { 'X-Lock-Token': token } : {})

export const gradingApi = {
  async teacherCopies(): Promise<TeacherCopy[]> {
    return (await request<{ copies: TeacherCopy[] }>('/api/teacher/copies')).copies
  },

  getCopy(id: Id): Promise<CopyDetail> {
    return request<CopyDetail>(copyPath(id))
  },

  /** Status, lock and render outcome only: what the desk polls. */
  copyState(id: Id): Promise<CopyState> {
    return request<CopyState>(copyPath(id, '/status'))
  },

  // --- lock -----------------------------------------------------------------

  /** 201 new / 200 already yours; 409 (ApiError with `holder`, `expires_at` in details) when taken. */
  lock(id: Id): Promise<LockGrant> {
    return request<LockGrant>(copyPath(id, '/lock'), { method: 'POST' })
  },

  heartbeat(id: Id, token: string): Promise<{ expires_at: string }> {
    return request<{ expires_at: string }>(copyPath(id, '/lock/heartbeat'), {
      method: 'POST',
      headers: lockHeader(token),
    })
  },

  /** Releases the lock (the holder) or breaks it (an admin, without a token). */
  async unlock(id: Id, token: string | null, keepalive = false): Promise<void> {
    await request<void>(copyPath(id, '/lock'), { method: 'DELETE', headers: lockHeader(token), keepalive })
  },

  // --- draft ----------------------------------------------------------------

  getDraft<P = unknown>(id: Id): Promise<Draft<P>> {
    return request<Draft<P>>(copyPath(id, '/draft'))
  },

  putDraft<P>(
    id: Id,
    token: string | null,
    body: { version: number; client_id: string; payload: P },
    keepalive = false,
  ): Promise<DraftSaved> {
    return request<DraftSaved>(copyPath(id, '/draft'), { method: 'PUT', headers: lockHeader(token), body, keepalive })
  },

  // --- annotations ----------------------------------------------------------

  createAnnotation(id: Id, token: string | null, input: NewAnnotation): Promise<Annotation> {
    return request<Annotation>(copyPath(id, '/annotations'), { method: 'POST', headers: lockHeader(token), body: input })
  },

  updateAnnotation(id: Id, token: string | null, annotationId: Id, version: number, changes: AnnotationChanges): Promise<Annotation> {
    return request<Annotation>(copyPath(id, `/annotations/${enc(annotationId)}`), {
      method: 'PATCH',
      headers: lockHeader(token),
      body: { version, ...changes },
    })
  },

  async deleteAnnotation(id: Id, token: string | null, annotationId: Id, version: number): Promise<void> {
    await request<void>(copyPath(id, `/annotations/${enc(annotationId)}`), {
      method: 'DELETE',
      headers: lockHeader(token),
      query: { version },
    })
  },

  // --- scores and finalising --------------------------------------------------

  saveScores(id: Id, token: string | null, input: ScoresInput): Promise<ScoresSaved> {
    return request<ScoresSaved>(copyPath(id, '/scores'), { method: 'PUT', headers: lockHeader(token), body: input })
  },

  finalize(id: Id, token: string | null): Promise<FinalizeResult> {
    return request<FinalizeResult>(copyPath(id, '/finalize'), { method: 'POST', headers: lockHeader(token) })
  },

  /** Admin: GRADED → READY with the reason its teacher is shown. */
  reopen(id: Id, reason: string): Promise<{ id: Id; status: CopyStatus }> {
    return request<{ id: Id; status: CopyStatus }>(copyPath(id, '/reopen'), { method: 'POST', body: { reason } })
  },

  retry(id: Id): Promise<FinalizeResult> {
    return request<FinalizeResult>(copyPath(id, '/retry'), { method: 'POST' })
  },

  finalPdf(id: Id): Promise<FinalPdf> {
    return request<FinalPdf>(copyPath(id, '/final-pdf'))
  },

  async history(id: Id): Promise<HistoryEvent[]> {
    return (await request<{ events: HistoryEvent[] }>(copyPath(id, '/history'))).events
  },

  // --- comment bank -----------------------------------------------------------

  async bank(): Promise<BankComment[]> {
    return (await request<{ comments: BankComment[] }>('/api/bank')).comments
  },

  addToBank(text: string): Promise<BankComment> {
    return request<BankComment>('/api/bank', { method: 'POST', body: { text } })
  },

  async removeFromBank(commentId: Id): Promise<void> {
    await request<void>(`/api/bank/${enc(commentId)}`, { method: 'DELETE' })
  },

  async useBankComment(commentId: Id): Promise<void> {
    await request<unknown>(`/api/bank/${enc(commentId)}/use`, { method: 'POST' })
  },
}

// ---------------------------------------------------------------------------
// Reading the extra members of an error body
// ---------------------------------------------------------------------------

/** `{"holder", "expires_at"}` of a 409 on POST /lock. */
export function lockHolder(err: unknown): { holder: string; expiresAt: string | null } | null {
  if (!(err instanceof ApiError) || err.status !== 409 || !err.details) return null
  const { holder, expires_at: expiresAt } = err.details
  if (typeof holder !== 'string' || holder === '') return null
  return { holder, expiresAt: typeof expiresAt === 'string' ? expiresAt : null }
}

/**
 * True when a write was refused because the caller no longer holds a live
 * lock (409 with `lock_required`, or 403 for a token that is not valid).
 */
export function isLockLost(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false
  if (err.status === 403) return true
  return err.status === 409 && isRecord(err.details) && err.details.lock_required === true
}

/** `{"missing": [node_id, ...]}` of a 422 on finalize. */
export function missingNodes(err: unknown): string[] {
  if (!(err instanceof ApiError) || !err.details) return []
  const missing = err.details.missing
  return Array.isArray(missing) ? missing.map((m) => String(m)) : []
}

/** `{"node_id"}` of a 400 on PUT /scores. */
export function scoreErrorNode(err: unknown): string | null {
  if (!(err instanceof ApiError) || !err.details) return null
  const nodeId = err.details.node_id
  return typeof nodeId === 'string' || typeof nodeId === 'number' ? String(nodeId) : null
}
