/**
 * Typed calls for exams and everything hanging off them: marking scheme,
 * teachers, the roster's students, scan uploads, identification and dispatch
 * (admin screens). Roster imports and password resets: `roster.ts`.
 *
 * Same conventions as `client.ts` (it does the work): relative `/api/...`
 * URLs, cookie session, CSRF header on state-changing calls, `ApiError` on
 * failure, with the extra members of an error body in `ApiError.details`
 * (read them with the helpers at the bottom of this file).
 */
import { ApiError, isRecord, request, type Id } from './client'
import { currentLocale, has, t } from '../i18n'

// ---------------------------------------------------------------------------
// Types of the API contract
// ---------------------------------------------------------------------------

export type UploadMode = 'BATCH' | 'INDIVIDUAL'

export const COPY_STATUSES = [
  'STAGING',
  'READY',
  'LOCKED',
  'GRADING_IN_PROGRESS',
  'GRADING_FAILED',
  'GRADED',
] as const

export type CopyStatus = (typeof COPY_STATUSES)[number]

export interface SchemeNode {
  id: string
  label: string
  /** Leaves: their points. Parents: the derived sum of their children. */
  points: number
  children: SchemeNode[]
}

export interface MarkingScheme {
  nodes: SchemeNode[]
}

export interface TeacherRef {
  id: Id
  username: string
}

export interface Exam {
  id: Id
  name: string
  subject: string
  /** YYYY-MM-DD */
  date: string
  upload_mode: UploadMode
  pages_per_copy: number | null
  split_a3: boolean
  marking_scheme: MarkingScheme | null
  max_points: number
  teacher_ids: Id[]
  teachers: TeacherRef[]
  released_at: string | null
  /** Count of copies per status; a status with no copy may be missing. */
  copy_counts: Partial<Record<string, number>>
  created_at: string
}

export interface ExamInput {
  name: string
  subject: string
  date: string
  upload_mode: UploadMode
  pages_per_copy?: number | null
  split_a3?: boolean
}

/** A node as sent to `PUT /marking-scheme`: leaves carry points, parents carry children. */
export interface SchemeNodeInput {
  id?: string
  label: string
  points?: number
  children?: SchemeNodeInput[]
}

export interface SchemeSaveResponse {
  nodes: SchemeNode[]
  max_points: number
}

export interface LineError {
  line: number
  message: string
}

export interface RosterStudent {
  id: Id
  last_name: string
  first_name: string
  email: string
  /** Generated sign-in id of a student without an e-mail (`lea.martin.482`). */
  login_id?: string | null
  /** False once an admin disabled the account. */
  active?: boolean
  class_name: string
  group: string
  student_number: string
  birth_date: string | null
}

export interface PresignedUpload {
  upload_id: Id
  /** Where the browser POSTs the file (object storage, usually another origin). */
  url: string
  /** Form fields of the pre-signed POST, sent before the file. */
  fields: Record<string, string>
  /** Seconds the pre-signed POST stays valid. */
  expires_in: number
}

export type UploadStatus = 'UPLOADED' | 'PROCESSING' | 'DONE' | 'FAILED'

export interface ScanUpload {
  id: Id
  filename: string
  size: number
  status: UploadStatus
  /** Human-readable reason when FAILED (English). */
  error: string | null
  /** Its stable code (`failures.<reason>`) and values, worded by `lib/failures.ts`; absent on older records. */
  error_reason?: string | null
  error_params?: Record<string, unknown> | null
  copies: number | null
  pages: number | null
  created_at: string
}

export interface CopySummary {
  id: Id
  anonymous_id: string
  status: CopyStatus
  page_count: number
  teacher_id: Id | null
  teacher_username: string | null
  student: { id: Id; name: string } | null
  reopened?: { reason: string; at: string } | null
  /** Personalised sheets: "code" when identified by the booklet's code; pages missing or scanned twice. */
  identified_by?: string | null
  missing_pages?: number[]
  duplicate_pages?: number[]
}

export interface Suggestion {
  student_id: Id
  name: string
  /** 0..1 */
  score: number
}

export interface IdentificationCopy {
  id: Id
  anonymous_id: string
  header_url: string
  ocr_text: string | null
  suggestions: Suggestion[]
  /** The one-to-one, high-confidence OCR match (still to be confirmed), if any. */
  auto_student_id?: Id | null
  status?: CopyStatus
  /** Personalised sheets: "code" when identified by the booklet's code; pages missing or scanned twice. */
  identified_by?: string | null
  missing_pages?: number[]
  duplicate_pages?: number[]
}

export interface StudentRef {
  id: Id
  name: string
}

/** An identified copy on the desk (to correct a mistake). */
export interface IdentifiedCopy extends IdentificationCopy {
  student: StudentRef | null
}

/** `GET /api/exams/{id}/identification`. */
export interface IdentificationDesk {
  /** Copies waiting to be identified (STAGING). */
  copies: IdentificationCopy[]
  identified: IdentifiedCopy[]
  students_without_copy: StudentRef[]
}

export interface DispatchResult {
  assigned: number
  distribution: Record<string, number>
}

// ---------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------

const enc = (id: Id): string => encodeURIComponent(String(id))
const examPath = (id: Id, rest = ''): string => `/api/exams/${enc(id)}${rest}`

export const examsApi = {
  async list(): Promise<Exam[]> {
    return (await request<{ exams: Exam[] }>('/api/exams')).exams
  },

  get(id: Id): Promise<Exam> {
    return request<Exam>(examPath(id))
  },

  create(input: ExamInput): Promise<Exam> {
    return request<Exam>('/api/exams', { method: 'POST', body: input })
  },

  update(id: Id, changes: Partial<ExamInput>): Promise<Exam> {
    return request<Exam>(examPath(id), { method: 'PATCH', body: changes })
  },

  async remove(id: Id): Promise<void> {
    await request<void>(examPath(id), { method: 'DELETE' })
  },

  saveMarkingScheme(id: Id, nodes: SchemeNodeInput[]): Promise<SchemeSaveResponse> {
    return request<SchemeSaveResponse>(examPath(id, '/marking-scheme'), { method: 'PUT', body: { nodes } })
  },

  async setTeachers(id: Id, teacherIds: Id[]): Promise<Id[]> {
    const res = await request<{ teacher_ids: Id[] }>(examPath(id, '/teachers'), {
      method: 'PUT',
      body: { teacher_ids: teacherIds },
    })
    return res.teacher_ids
  },

  async listStudents(id: Id): Promise<RosterStudent[]> {
    return (await request<{ students: RosterStudent[] }>(examPath(id, '/students'))).students
  },

  createUpload(id: Id, filename: string, size: number): Promise<PresignedUpload> {
    return request<PresignedUpload>(examPath(id, '/uploads'), { method: 'POST', body: { filename, size } })
  },

  async listUploads(id: Id): Promise<ScanUpload[]> {
    return (await request<{ uploads: ScanUpload[] }>(examPath(id, '/uploads'))).uploads
  },

  getUpload(id: Id, uploadId: Id): Promise<ScanUpload> {
    return request<ScanUpload>(examPath(id, `/uploads/${enc(uploadId)}`))
  },

  /** Removes a processed scan and its copies; 409 (naming them) while one is dispatched or graded. */
  deleteUpload(id: Id, uploadId: Id): Promise<{ upload_id: Id; status: string; copies_deleted: number }> {
    return request(examPath(id, `/uploads/${enc(uploadId)}`), { method: 'DELETE' })
  },

  async listCopies(id: Id): Promise<CopySummary[]> {
    return (await request<{ copies: CopySummary[] }>(examPath(id, '/copies'))).copies
  },

  async identificationQueue(id: Id): Promise<IdentificationCopy[]> {
    return (await request<{ copies: IdentificationCopy[] }>(examPath(id, '/identification'))).copies
  },

  /** Copies to identify, identified copies and the roster's students without a copy. */
  async identificationDesk(id: Id): Promise<IdentificationDesk> {
    const desk = await request<Partial<IdentificationDesk>>(examPath(id, '/identification'))
    return { copies: desk.copies ?? [], identified: desk.identified ?? [], students_without_copy: desk.students_without_copy ?? [] }
  },

  /** Sets (or, while the exam is not released, corrects) who wrote a copy; answers the copy with its student. */
  identify(copyId: Id, studentId: Id): Promise<CopySummary> {
    return request<CopySummary>(`/api/copies/${enc(copyId)}/identify`, { method: 'POST', body: { student_id: studentId } })
  },

  /** Sends an identified, not yet graded copy back to be identified (no student, no teacher). */
  unidentify(copyId: Id): Promise<CopySummary> {
    return request<CopySummary>(`/api/copies/${enc(copyId)}/unidentify`, { method: 'POST', body: {} })
  },

  dispatch(id: Id): Promise<DispatchResult> {
    return request<DispatchResult>(examPath(id, '/dispatch'), { method: 'POST' })
  },

  reassign(copyId: Id, teacherId: Id): Promise<unknown> {
    return request<unknown>(`/api/copies/${enc(copyId)}/reassign`, { method: 'POST', body: { teacher_id: teacherId } })
  },
}

// ---------------------------------------------------------------------------
// Reading the extra members of an error body
// ---------------------------------------------------------------------------

/** `{"fields": [{"field", "message"}]}` of a 400 → `{ field: message }`. */
export function fieldErrors(err: unknown, labels: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {}
  if (!(err instanceof ApiError) || !err.details) return out
  const fields = err.details.fields
  if (!Array.isArray(fields)) return out
  for (const f of fields) {
    if (isRecord(f) && typeof f.field === 'string' && typeof f.message === 'string' && !(f.field in out)) {
      out[f.field] = fieldMessage(f.field, f.message, f.reason, f.params, labels)
    }
  }
  return out
}

/**
 * A field's message in the interface's language: the sentence of its `reason` (with `{field}`
 * worded by `labels`), else the server's own (English) message.
 */
function fieldMessage(field: string, message: string, reason: unknown, params: unknown, labels: Record<string, string>): string {
  if (currentLocale() === 'en' || typeof reason !== 'string' || !has(`errors.reason.${reason}`)) return message
  return t(`errors.reason.${reason}`, { ...(isRecord(params) ? params : {}), field: labels[field] ?? field })
}

/** `{"errors": [{"line", "message"}]}` of an error body (roster import). */
export function lineErrors(err: unknown): LineError[] {
  if (!(err instanceof ApiError) || !err.details) return []
  const errors = err.details.errors
  if (!Array.isArray(errors)) return []
  return errors
    .filter(isRecord)
    .map((e) => ({ line: typeof e.line === 'number' ? e.line : Number(e.line), message: String(e.message ?? '') }))
}

/** `node_id` / `path` naming the node a marking-scheme error is about. */
export function schemeErrorTarget(err: unknown): { nodeId: string | null; path: string | null } {
  if (!(err instanceof ApiError) || !err.details) return { nodeId: null, path: null }
  const { node_id: nodeId, path } = err.details
  return {
    nodeId: typeof nodeId === 'string' || typeof nodeId === 'number' ? String(nodeId) : null,
    path: typeof path === 'string' || typeof path === 'number' ? String(path) : null,
  }
}
