/**
 * When the server session ends, as the API last said (`X-Session-Expires` on every authenticated
 * answer, `session_expires_at` in /api/me, the sign-in and the keep-alive answers).
 *
 * Also keeps a non-secret hint in localStorage that a session may exist on this browser (the
 * cookie itself is HttpOnly): without it, the SPA does not probe /api/me, so a normal sign-in
 * page never receives (and logs) a 401.
 */
import { reactive, readonly } from 'vue'

/** The warning shows this long before the end. */
export const WARN_BEFORE_MS = 5 * 60_000

const HINT_KEY = 'korrigo:signed-in'

interface ClockState {
  /** Date.now() scale; null when unknown or signed out. */
  endsAt: number | null
}

const state = reactive<ClockState>({ endsAt: null })

/** Read-only view for components. */
export const sessionClock = readonly(state)

/** Records the session end an answer carried (ISO-8601); ignores a missing or unreadable value. */
export function noteSessionEnd(value: string | null | undefined): void {
  if (!value) return
  const at = Date.parse(value)
  if (Number.isNaN(at)) return
  state.endsAt = at
  setHint(true)
}

/** Signed in (a session may exist on this browser now). */
export function noteSignedIn(end?: string | null): void {
  setHint(true)
  noteSessionEnd(end)
}

/** Signed out or expired: no session end to watch, no probe on the next page load. */
export function noteSignedOut(): void {
  state.endsAt = null
  setHint(false)
}

/** False when no session can exist on this browser (never signed in, or signed out since). */
export function maybeSignedIn(): boolean {
  try {
    return window.localStorage.getItem(HINT_KEY) === '1'
  } catch {
    return true // storage unavailable: ask the server
  }
}

function setHint(on: boolean): void {
  try {
    if (on) window.localStorage.setItem(HINT_KEY, '1')
    else window.localStorage.removeItem(HINT_KEY)
  } catch {
    // Storage unavailable (private mode): the SPA probes /api/me as before.
  }
}

/** For tests. */
export function resetSessionClock(): void {
  state.endsAt = null
}
