/**
 * Session store: a plain reactive module holding the signed-in user.
 *
 * The session's end is watched by `lib/sessionClock.ts` (the warning); when it ends, the SPA goes
 * to the sign-in page with `?expired=1&next=<where the user was>`; signing back in first replays
 * the drafts kept in the browser (`lib/pendingDrafts.ts`), then returns there. `logout()` first
 * runs the hooks registered with `onBeforeSignOut` (the desk flushes its draft, releases its lock).
 */
import { reactive, readonly } from 'vue'
import type { Router } from 'vue-router'
import { t } from '../i18n'
import { extendSession, type SessionEnd } from '../api/session'
import { replayKeptDrafts } from '../lib/pendingDrafts'
import { maybeSignedIn, noteSessionEnd, noteSignedIn, noteSignedOut } from '../lib/sessionClock'
import {
  api,
  ApiError,
  closeForSignOut,
  reopenAfterSignOut,
  setCsrfToken,
  setUnauthorizedHandler,
  type AccountKind,
  type Id,
  type Role,
  type StaffLoginResponse,
  type StudentLoginResponse,
} from '../api/client'

export interface SessionUser {
  id: Id
  username: string
  email: string
  role: Role
  kind: AccountKind
  must_change_password: boolean
  first_name?: string
  last_name?: string
}

interface SessionState {
  user: SessionUser | null
  /** True once GET /api/me has answered (signed in or not). */
  loaded: boolean
  /** True after the session ended by itself (the sign-in page says so), until the next sign-in. */
  expired: boolean
}

const state = reactive<SessionState>({ user: null, loaded: false, expired: false })

/** Read-only view of the session for components. */
export const session = readonly(state)

let pendingMe: Promise<SessionUser | null> | null = null

/**
 * Asks the backend who is signed in (GET /api/me) and stores the CSRF token.
 * Cached after the first answer unless `force` is set. Resolves to null when
 * not signed in; other failures (network, 5xx) are thrown and leave the
 * store "not loaded" so the next navigation tries again.
 */
export function loadMe(force = false): Promise<SessionUser | null> {
  if (state.loaded && !force) return Promise.resolve(state.user)
  if (pendingMe) return pendingMe
  if (!maybeSignedIn() && isSignInPath(globalThis.location?.pathname ?? '')) {
    // A sign-in page opened where nobody signed in since the last sign-out: no probe (the browser
    // would log its expected 401 as an error). Other pages still ask.
    state.user = null
    state.loaded = true
    return Promise.resolve(null)
  }
  pendingMe = (async () => {
    try {
      const res = await api.me()
      setCsrfToken(res.csrf_token)
      state.user = { ...res.user, kind: res.user.kind ?? (res.user.role === 'student' ? 'student' : 'staff') }
      state.loaded = true
      rememberKind(state.user.kind)
      noteSignedIn(sessionEndOf(res))
      return state.user
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        state.user = null
        state.loaded = true
        setCsrfToken(null)
        noteSignedOut()
        return null
      }
      throw err
    } finally {
      pendingMe = null
    }
  })()
  return pendingMe
}

export function userFromStaffLogin(res: StaffLoginResponse): SessionUser {
  return { ...res.user, kind: 'staff' }
}

export function userFromStudentLogin(res: StudentLoginResponse): SessionUser {
  const s = res.student
  return {
    id: s.id,
    username: s.email ?? s.login_id ?? '',
    email: s.email ?? '',
    role: 'student',
    kind: 'student',
    must_change_password: res.must_change_password,
    first_name: s.first_name,
    last_name: s.last_name,
  }
}

function sessionEndOf(answer: object): string | null {
  return (answer as Partial<SessionEnd>).session_expires_at ?? null
}

/** How long signing in waits for the kept drafts to be written back before going on. */
export const REPLAY_TIMEOUT_MS = 8000
/** How long signing out waits for the hooks (flush the draft, release the lock). */
export const SIGN_OUT_HOOKS_TIMEOUT_MS = 3000

/** Waits for `work` (its failure ignored), at most `ms`. */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  await Promise.race([work.catch(() => undefined), timeout])
  clearTimeout(timer)
}

async function signedIn(user: SessionUser, csrf: string, end: string | null): Promise<SessionUser> {
  setCsrfToken(csrf)
  state.user = user
  state.loaded = true
  state.expired = false
  rememberKind(user.kind)
  noteSignedIn(end)
  await within(REPLAY_TIMEOUT_MS, replayKeptDrafts(user.id))
  return user
}

/** Staff sign-in with a username or an email; kept drafts are written back before it resolves. */
export async function login(username: string, password: string): Promise<SessionUser> {
  const res = await api.login(username, password)
  return signedIn(userFromStaffLogin(res), res.csrf_token, sessionEndOf(res))
}

/** Student sign-in with an email. */
export async function studentLogin(email: string, password: string): Promise<SessionUser> {
  const res = await api.studentLogin(email, password)
  return signedIn(userFromStudentLogin(res), res.csrf_token, sessionEndOf(res))
}

type SignOutHook = () => Promise<void>
const signOutHooks = new Set<SignOutHook>()

/**
 * Registers work to finish before signing out (the desk: flush the draft, release the lock);
 * returns the function that unregisters it. `logout()` waits for the hooks, at most
 * `SIGN_OUT_HOOKS_TIMEOUT_MS`, and signs out even when one fails.
 */
export function onBeforeSignOut(hook: SignOutHook): () => void {
  signOutHooks.add(hook)
  return () => {
    signOutHooks.delete(hook)
  }
}

/** Signs out on the server (best effort) and forgets the user. Returns the kind that was signed in. */
export async function logout(): Promise<AccountKind> {
  const kind = state.user?.kind ?? 'staff'
  const hooks = [...signOutHooks].map((hook) => Promise.resolve().then(hook))
  await within(SIGN_OUT_HOOKS_TIMEOUT_MS, Promise.allSettled(hooks))
  // What the page asked before signing out gets its answer; nothing new is sent to a session ending.
  await closeForSignOut(SIGN_OUT_HOOKS_TIMEOUT_MS)
  try {
    await api.logout()
  } catch {
    // Already signed out or unreachable: forget the session locally anyway.
  } finally {
    clearSession()
    reopenAfterSignOut()
  }
  return kind
}

/** "Rester connecté": slides the session forward; resolves to its new end (ISO), if known. */
export async function keepSessionAlive(): Promise<string | null> {
  const res = await extendSession()
  noteSessionEnd(res.session_expires_at)
  return res.session_expires_at
}

/**
 * The session's end, as last heard, has passed: ask the server (a clock may be off, an answer
 * may have slid it unseen); still signed in → the new end is noted; else → `sessionEnded`.
 */
export async function confirmSessionEnd(router: Router): Promise<void> {
  if (state.user === null) return
  try {
    const res = await api.me()
    setCsrfToken(res.csrf_token)
    noteSessionEnd(sessionEndOf(res))
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) sessionEnded(router)
  }
}

/** Forgets the user and the CSRF token without calling the server. */
export function clearSession(): void {
  state.user = null
  state.loaded = true
  setCsrfToken(null)
  noteSignedOut()
}

/** Marks the forced password change as done. */
export function markPasswordChanged(): void {
  if (state.user) state.user.must_change_password = false
}

/** For tests. */
export function resetSessionState(): void {
  state.user = null
  state.loaded = false
  state.expired = false
  pendingMe = null
  signOutHooks.clear()
}

// ---------------------------------------------------------------------------
// Helpers shared by the router and the views
// ---------------------------------------------------------------------------

export function homePathFor(user: Pick<SessionUser, 'role'>): string {
  switch (user.role) {
    case 'admin':
      return '/admin'
    case 'teacher':
      return '/teacher'
    case 'student':
      return '/student'
  }
}

function isSignInPath(path: string): boolean {
  return path === '/login' || path === '/student/login'
}

export function loginPathFor(kind: AccountKind): string {
  return kind === 'student' ? '/student/login' : '/login'
}

const LAST_KIND_KEY = 'korrigo:last-kind'

/** Remembers (not secret) which kind of account last signed in on this browser. */
function rememberKind(kind: AccountKind): void {
  try {
    window.localStorage.setItem(LAST_KIND_KEY, kind)
  } catch {
    // Storage unavailable (private mode, tests): not important.
  }
}

function lastKind(): AccountKind | null {
  try {
    const value = window.localStorage.getItem(LAST_KIND_KEY)
    return value === 'student' || value === 'staff' ? value : null
  } catch {
    return null
  }
}

/**
 * Which login page fits a path when nobody is signed in: student pages go to
 * the student login, admin / teacher pages to the staff login, and shared
 * pages (such as /change-password) to the login of the last account kind
 * used on this browser.
 */
export function kindForPath(path: string): AccountKind {
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`)
  if (under('/student')) return 'student'
  if (under('/admin') || under('/teacher')) return 'staff'
  return lastKind() ?? 'staff'
}

export function displayName(user: SessionUser): string {
  const full = [user.first_name, user.last_name].filter((p) => p && p.trim() !== '').join(' ')
  return full || user.username || user.email
}

export function roleLabel(role: Role): string {
  return t(`common.roles.${role}`)
}

/** Only same-site absolute paths are accepted as `?next=` targets. */
export function safeNext(next: unknown): string | null {
  const value = Array.isArray(next) ? next[0] : next
  if (typeof value !== 'string') return null
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null
  if (value === '/login' || value.startsWith('/login?') || value.startsWith('/student/login')) return null
  return value
}

/**
 * The session ended (a 401, or its end passed): forget it and go to the right sign-in page with
 * `?next=<current path>`, and `expired=1` when someone was signed in (the page says so).
 */
export function sessionEnded(router: Router): void {
  const current = router.currentRoute.value
  // A second 401 (the desk's other calls) may come before the first redirect is done: same answer.
  const expired = state.user !== null || state.expired
  const kind = state.user?.kind ?? kindForPath(current.path)
  clearSession()
  state.expired = expired
  if (current.meta.guestOnly) return // already on a login page
  const next = current.fullPath
  const query: Record<string, string> = next && next !== '/' ? { next } : {}
  if (expired) query.expired = '1'
  void router.replace({ path: loginPathFor(kind), query })
}

/** Wires the API client's 401 handling to this store and the router (see `sessionEnded`). */
export function installAuthRedirect(router: Router): void {
  setUnauthorizedHandler(() => sessionEnded(router))
}
