/**
 * Typed calls to manage student accounts (admin): reset a password (one-time
 * credentials sheet), disable / enable, end sessions, one student or many
 * students of an exam at once. Same conventions as `client.ts`.
 */
import { request, type Id } from './client'

/** The student fields the account actions need (a roster row has more). */
export interface StudentAccount {
  id: Id
  last_name: string
  first_name: string
  email: string | null
  login_id: string | null
  active: boolean
}

export type BulkAccountAction = 'disable' | 'enable' | 'revoke_sessions'

export interface PasswordResetResult {
  /** One-time link to the CSV with the new initial password. */
  credentials_csv_url: string
}

const studentPath = (id: Id): string => `/api/students/${encodeURIComponent(String(id))}`

export const studentsApi = {
  /** A new initial password for one student; every session of the student ends. */
  resetPassword(studentId: Id, examId?: Id): Promise<PasswordResetResult> {
    return request<PasswordResetResult>(`${studentPath(studentId)}/reset-password`, {
      method: 'POST',
      body: examId === undefined ? {} : { exam_id: String(examId) },
    })
  },

  /** Disable (ends the sessions at once) or enable one student account. */
  setActive(studentId: Id, active: boolean): Promise<StudentAccount> {
    return request<StudentAccount>(studentPath(studentId), { method: 'PATCH', body: { active } })
  },

  /** Signs one student out everywhere. */
  revokeSessions(studentId: Id): Promise<void> {
    return request<void>(`${studentPath(studentId)}/revoke-sessions`, { method: 'POST' })
  },

  /** The same for many students of an exam's roster; resolves to how many changed. */
  async applyToExamStudents(examId: Id, studentIds: Id[], action: BulkAccountAction): Promise<number> {
    const res = await request<{ changed: number }>(
      `/api/exams/${encodeURIComponent(String(examId))}/students/accounts`,
      { method: 'POST', body: { student_ids: studentIds.map(String), action } },
    )
    return res.changed
  },
}

/** The identifier a student signs in with: the e-mail, or the generated sign-in id. */
export function signInOf(student: Pick<StudentAccount, 'email' | 'login_id'>): string {
  return student.email ?? student.login_id ?? ''
}
