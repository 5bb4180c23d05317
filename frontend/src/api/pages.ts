/**
 * An exam's pages to place: the pages of a batch scan left over after its last
 * full copy, or the pages of a scan of personalised sheets whose code placed
 * them in no copy (with why, and a guess of their place). Listed with a short-lived image URL; an admin adds one to a copy
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
  /** A scan of personalised sheets: why the page joined no copy (null for a plain scan's page over). */
  reason?: LoosePageReason | null
  /** A scan of personalised sheets: the copy and booklet page (1-based) it probably belongs to. */
  guess?: LoosePageGuess | null
  created_at: string | null
}

/** Why a page of a coded scan joined no copy (the server may add others: shown without a reason). */
export type LoosePageReason = 'unreadable' | 'duplicate' | 'unknown_booklet' | 'already_scanned'

export interface LoosePageGuess {
  copy_id: Id
  page: number
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
