/**
 * Typed calls of the roster: imports and bulk password resets run as account
 * jobs (202 at once, then the job's progress), and the one-time credentials
 * sheet of a finished job. Same conventions as `client.ts`.
 */
import type { RosterMapping } from '../lib/rosterFile'
import { request, type Id } from './client'
import type { LineError } from './exams'

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
  errors: LineError[]
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
  errors: LineError[]
  /** How the file was read: encoding, separator, which column holds which field, ignored columns. */
  mapping?: RosterMapping
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
  importRoster(examId: Id, csv: Blob | string): Promise<RosterImportAccepted> {
    return request<RosterImportAccepted>(`/api/exams/${enc(examId)}/roster`, {
      method: 'POST',
      body: csv,
      contentType: 'text/csv',
    })
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
