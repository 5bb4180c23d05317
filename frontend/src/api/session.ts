/**
 * The session's own calls beyond sign-in: the keep-alive, and replaying a draft kept in the
 * browser while signed out (the copy's lock, then its draft, as the desk would write it).
 */
import { ApiError, request, type Id } from './client'

export interface SessionEnd {
  /** ISO-8601 UTC; null when the server did not say. */
  session_expires_at: string | null
}

/** "Rester connecté": any authenticated request slides the session; this one says until when. */
export function extendSession(): Promise<SessionEnd> {
  return request<SessionEnd>('/api/session/extend', { method: 'POST', body: {} })
}

export interface LockGrant {
  token: string
  expires_at: string
}

function copyPath(copyId: Id, rest: string): string {
  return `/api/copies/${encodeURIComponent(String(copyId))}${rest}`
}

/** Takes the copy's lock, or gets one's own back with its token (a lock outlives its session). */
export function lockCopy(copyId: Id): Promise<LockGrant> {
  return request<LockGrant>(copyPath(copyId, '/lock'), { method: 'POST', body: {} })
}

export function releaseCopy(copyId: Id, token: string): Promise<unknown> {
  return request(copyPath(copyId, '/lock'), { method: 'DELETE', headers: { 'X-Lock-Token': token } })
}

export interface ServerDraft {
  version: number
  payload: unknown
}

export function readDraft(copyId: Id): Promise<ServerDraft> {
  return request<ServerDraft>(copyPath(copyId, '/draft'))
}

/** Writes a draft on top of `version` (409 when the server's draft moved on). */
export function writeDraft(copyId: Id, token: string, version: number, clientId: string, payload: unknown): Promise<{ version: number }> {
  return request<{ version: number }>(copyPath(copyId, '/draft'), {
    method: 'PUT',
    headers: { 'X-Lock-Token': token },
    body: { version, client_id: clientId, payload },
  })
}

export function isLockRefusal(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409 && err.details?.lock_required === true
}
