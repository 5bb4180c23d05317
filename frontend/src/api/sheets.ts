/**
 * Typed calls of an exam's personalised answer sheets (QR-coded booklets):
 * ask for a generation (202 at once; the sheets function prints the PDF), then
 * read its status, with a short-lived download link once it is done.
 * Same conventions as `client.ts`.
 */
import { request, type Id } from './client'

export type SheetsStatus = 'NONE' | 'PENDING' | 'DONE' | 'FAILED'

export interface AnswerSheets {
  status: SheetsStatus
  /** Anonymous numbered booklets asked for besides one per pupil of the roster. */
  extra_blank_booklets?: number
  requested_at?: string
  /** Short-lived signed link to the PDF (DONE only). */
  url?: string
  pages?: number
  booklets?: number
  /** Why a FAILED generation stopped. */
  error?: string | null
}

/** Most anonymous booklets one request may ask for. */
export const MAX_EXTRA_BLANK_BOOKLETS = 200

const enc = (id: Id): string => encodeURIComponent(String(id))

export const sheetsApi = {
  get(examId: Id): Promise<AnswerSheets> {
    return request<AnswerSheets>(`/api/exams/${enc(examId)}/sheets`)
  },

  generate(examId: Id, extraBlankBooklets: number): Promise<AnswerSheets> {
    return request<AnswerSheets>(`/api/exams/${enc(examId)}/sheets`, {
      method: 'POST',
      body: { extra_blank_booklets: extraBlankBooklets },
    })
  },
}
