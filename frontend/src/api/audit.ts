/**
 * The audit trail (admins): `GET /api/audit`, filtered by exam, copy, actor, action and time range.
 * Each event comes with the names of its actor, exam and target, resolved by the server.
 */
import { request, type Id } from './client'

export type AuditOutcome = 'success' | 'failure' | (string & {})

export interface AuditEvent {
  id: Id
  /** ISO 8601 */
  at: string
  /** A stable code ("copy.finalize"); `lib/auditActions.ts` words it. */
  action: string
  outcome: AuditOutcome
  actor_id: Id | null
  actor_role: string | null
  /** Username of a staff actor, "First Last" of a student actor; null when unknown (deleted, system). */
  actor_name?: string | null
  ip: string | null
  request_id: string | null
  target_type: string | null
  target_id: Id | null
  /** Name of an account or exam target. */
  target_name?: string | null
  exam_id: Id | null
  exam_name?: string | null
  copy_id: Id | null
  metadata: unknown
}

/** Filters of `GET /api/audit`; `since` / `until` are ISO 8601 instants. Empty values are not sent. */
export interface AuditFilters {
  exam_id?: string
  copy_id?: string
  actor?: string
  action?: string
  since?: string
  until?: string
}

export const AUDIT_FILTER_KEYS = ['exam_id', 'copy_id', 'actor', 'action', 'since', 'until'] as const

/** The most events one audit query answers. */
export const AUDIT_LIMIT = 500

/** The audit query string: trimmed, empty filters left out. */
export function auditQuery(filters: AuditFilters): Record<string, string> {
  const query: Record<string, string> = {}
  for (const key of AUDIT_FILTER_KEYS) {
    const value = filters[key]?.trim()
    if (value) query[key] = value
  }
  return query
}

export const auditApi = {
  async list(filters: AuditFilters = {}): Promise<AuditEvent[]> {
    return (await request<{ events: AuditEvent[] }>('/api/audit', { query: auditQuery(filters) })).events
  },
}
