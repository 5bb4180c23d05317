/**
 * An exam's pages to place: the pages of a batch scan left over after its last
 * full copy. Listed with a short-lived image URL; an admin adds one to a copy
 * at a position, makes a new copy from some, or discards one.
 */
import { request, type Id } from './client'

export interface LoosePage {
  /** Opaque id of the page to place. */
  id: string
  upload_id: Id
  /** The scan's file name (null if unknown). */
  filename: string | null
  /** 1-based page number in the uploaded PDF. */
  source_page: number
  width: number
  height: number
  /** Short-lived signed URL of the page image. */
  url: string
  created_at: string | null
}

export interface PlacedAnswer {
  copy_id: Id
  anonymous_id: string
  page_count: number
}

const enc = (id: Id): string => encodeURIComponent(String(id))
const base = (examId: Id): string => `/api/exams/${enc(examId)}/loose-pages`

export const pagesApi = {
  async list(examId: Id): Promise<LoosePage[]> {
    return (await request<{ pages: LoosePage[] }>(base(examId))).pages
  },

  /** Inserts the page into an undispatched copy at a 1-based position (the later pages move on). */
  attach(examId: Id, pageId: string, copyId: Id, position: number): Promise<PlacedAnswer> {
    return request(`${base(examId)}/${enc(pageId)}/attach`, {
      method: 'POST',
      body: { copy_id: String(copyId), position },
    })
  },

  /** A new copy (to identify) made of these pages, in this order. */
  newCopy(examId: Id, pageIds: string[]): Promise<PlacedAnswer> {
    return request(`${base(examId)}/new-copy`, { method: 'POST', body: { page_ids: pageIds } })
  },

  discard(examId: Id, pageId: string): Promise<{ id: string; discarded: boolean }> {
    return request(`${base(examId)}/${enc(pageId)}`, { method: 'DELETE' })
  },
}
