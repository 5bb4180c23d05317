/**
 * Session store: a plain reactive module holding the signed-in user.
 */
import { reactive, readonly } from 'vue'
import type { Router } from 'vue-router'
import { t } from '../i18n'
import {
  api,
  ApiError,
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
}

const state = reactive<SessionState>({ user: null, loaded: false })

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
  pendingMe = (async () => {
    try {
      const res = await api.me()
      setCsrfToken(res.csrf_token)
      state.user = { ...res.user, kind: res.user.kind ?? (res.user.role === 'student' ? 'student' : 'staff') }
      state.loaded = true
      rememberKind(state.user.kind)
      return state.user
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        state.user = null
        state.loaded = true
        setCsrfToken(null)
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

/** Staff sign-in with a username or an email. */
export async function login(username: string, password: string): Promise<SessionUser> {
  const res = await api.login(username, password)
  setCsrfToken(res.csrf_token)
  state.user = userFromStaffLogin(res)
  state.loaded = true
  rememberKind('staff')
  return state.user
}

/** Student sign-in with an email. */
export async function studentLogin(email: string, password: string): Promise<SessionUser> {
  const res = await api.studentLogin(email, password)
  setCsrfToken(res.csrf_token)
  state.user = userFromStudentLogin(res)
  state.loaded = true
  rememberKind('student')
  return state.user
}

/** Signs out on the server (best effort) and forgets the user. Returns the kind that was signed in. */
export async function logout(): Promise<AccountKind> {
  const kind = state.user?.kind ?? 'staff'
  try {
    await api.logout()
  } catch {
    // Already signed out or unreachable: forget the session locally anyway.
  }
  clearSession()
  return kind
}

/** Forgets the user and the CSRF token without calling the server. */
export function clearSession(): void {
  state.user = null
  state.loaded = true
  setCsrfToken(null)
}

/** Marks the forced password change as done. */
export function markPasswordChanged(): void {
  if (state.user) state.user.must_change_password = false
}

/** For tests. */
export function resetSessionState(): void {
  state.user = null
  state.loaded = false
  pendingMe = null
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
 * Wires the API client's 401 handling to this store and the router: clear
 * the session, then go to the right login page with `?next=<current path>`.
 */
export function installAuthRedirect(router: Router): void {
  setUnauthorizedHandler(() => {
    const current = router.currentRoute.value
    const kind = state.user?.kind ?? kindForPath(current.path)
    clearSession()
    if (current.meta.guestOnly) return // already on a login page
    const next = current.fullPath
    const query = next && next !== '/' ? { next } : {}
    void router.replace({ path: loginPathFor(kind), query })
  })
}
