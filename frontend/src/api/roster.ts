/**
 * Typed calls of the roster: imports and bulk password resets run as account
 * jobs (202 at once, then the job's progress), and the one-time credentials
 * sheet of a finished job. An import that would rename existing students is
 * refused (409) with the list of renames until it is sent again with their
 * `confirm_token`. Same conventions as `client.ts`.
 */
import { has, t } from '../i18n'
import type { RosterMapping } from '../lib/rosterFile'
import { ApiError, isRecord, request, requestBlob, type DownloadedFile, type Id } from './client'
import type { LineError } from './exams'

/** A skipped line: the server's English `message`, and when known a stable `reason` with its `params`. */
export interface RosterLineError extends LineError {
  reason?: string
  params?: Record<string, unknown>
}

/** A line error in the interface's language (`roster.lineErrors.<reason>`), else the server's words. */
export function lineErrorText(error: RosterLineError): string {
  const key = `roster.lineErrors.${error.reason ?? ''}`
  return error.reason && has(key) ? t(key, { ...(error.params ?? {}) }) : error.message
}

/** The line errors an import's error answer (400, 409) carries. */
export function rosterLineErrors(err: unknown): RosterLineError[] {
  if (!(err instanceof ApiError) || !err.details || !Array.isArray(err.details.errors)) return []
  return err.details.errors.filter(isRecord).map((e) => ({
    line: typeof e.line === 'number' ? e.line : Number(e.line),
    message: String(e.message ?? ''),
    reason: typeof e.reason === 'string' ? e.reason : undefined,
    params: isRecord(e.params) ? e.params : undefined,
  }))
}

export type AccountJobKind = 'roster_import' | 'password_reset'
export type AccountJobStatus = 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED'

export interface AccountJob {
  job_id: Id
  kind: AccountJobKind
  status: AccountJobStatus
  total: number
  processed: number
  created: number
  updated: number
  /** Lines (or students of a reset, numbered from 1) that changed nothing. */
  errors: RosterLineError[]
  /** Why a FAILED job stopped; what it created before stays. */
  error: string | null
  /** One-time link to the sheet of initial passwords, for the admin who started the job, once it ended. */
  credentials_csv_url: string | null
}

/** The 202 answer of an import: the file's line errors are known at once. */
export interface RosterImportAccepted {
  job_id: Id
  status: AccountJobStatus
  total: number
  errors: RosterLineError[]
  /** How the file was read: encoding, separator, which column holds which field, ignored columns. */
  mapping?: RosterMapping
  /** The confirmed changes of name the job applies. */
  renames?: RosterRename[]
}

export interface PersonName {
  last_name: string
  first_name: string
}

/** A line that gives an existing student (same e-mail or student number) another name. */
export interface RosterRename {
  line: number
  student_id: Id
  old: PersonName
  new: PersonName
  email: string | null
  student_number: string | null
  login_id: string | null
}

/** The 409 of an import that would rename students: nothing was queued; the list and what confirms it. */
export interface RenamesToConfirm {
  /** `roster_renames_unconfirmed`, or `roster_renames_changed` when a confirmation named another list. */
  reason: string
  renames: RosterRename[]
  confirmToken: string
  mapping: RosterMapping | null
}

export const RENAME_REASONS: readonly string[] = ['roster_renames_unconfirmed', 'roster_renames_changed']

/** The renames to confirm carried by an import's error, or null when it is another error. */
export function renamesToConfirm(err: unknown): RenamesToConfirm | null {
  if (!(err instanceof ApiError) || err.status !== 409 || !err.details) return null
  if (!err.reason || !RENAME_REASONS.includes(err.reason)) return null
  const { renames, confirm_token: token, mapping } = err.details
  if (!Array.isArray(renames) || typeof token !== 'string') return null
  return {
    reason: err.reason,
    renames: renames.filter(isRecord) as unknown as RosterRename[],
    confirmToken: token,
    mapping: isRecord(mapping) ? (mapping as unknown as RosterMapping) : null,
  }
}

/** "Dupont Marie → Dupont-Martin Marie (marie.dupont@…)": how a rename reads. */
export function renameText(rename: RosterRename): string {
  const name = (n: PersonName) => `${n.last_name} ${n.first_name}`.trim()
  const who = rename.email || rename.student_number || rename.login_id
  return `${name(rename.old)} → ${name(rename.new)}${who ? ` (${who})` : ''}`
}

export const FINISHED_STATUSES: readonly AccountJobStatus[] = ['DONE', 'FAILED']

const enc = (id: Id): string => encodeURIComponent(String(id))

/** The job as the screen follows it, from the import's 202 answer. */
export function acceptedJob(accepted: RosterImportAccepted): AccountJob {
  return {
    job_id: accepted.job_id,
    kind: 'roster_import',
    status: accepted.status,
    total: accepted.total,
    processed: 0,
    created: 0,
    updated: 0,
    errors: accepted.errors,
    error: null,
    credentials_csv_url: null,
  }
}

export const rosterApi = {
  /**
   * Sends the CSV file as it is (raw bytes, `Content-Type: text/csv`): the
   * server detects the delimiter, the BOM and the encoding, and queues the import.
   */
  importRoster(examId: Id, csv: Blob | string, confirmRenames?: string): Promise<RosterImportAccepted> {
    return request<RosterImportAccepted>(`/api/exams/${enc(examId)}/roster`, {
      method: 'POST',
      body: csv,
      contentType: 'text/csv',
      query: confirmRenames ? { confirm_renames: confirmRenames } : undefined,
    })
  },

  /** A one-time credentials sheet (a job's or one student's link): the bytes, once. */
  takeCredentials(url: string): Promise<DownloadedFile> {
    return requestBlob(url)
  },

  getJob(examId: Id, jobId: Id): Promise<AccountJob> {
    return request<AccountJob>(`/api/exams/${enc(examId)}/account-jobs/${enc(jobId)}`)
  },

  /** New initial passwords for students of the exam's roster (their sessions end). */
  resetPasswords(examId: Id, studentIds: Id[]): Promise<AccountJob> {
    return request<AccountJob>(`/api/exams/${enc(examId)}/students/reset-passwords`, {
      method: 'POST',
      body: { student_ids: studentIds },
    })
  },
}
