/**
 * Typed API client for the Korrigo backend.
 *
 * - Same origin, relative URLs (`/api/...`), cookie session (`credentials: 'same-origin'`).
 * - Keeps the CSRF token in memory and sends it as `X-CSRF-Token` on every
 *   state-changing request (POST, PUT, PATCH, DELETE).
 * - Turns the error envelope `{"error": {"code", "message"}}` into a thrown `ApiError`.
 * - On 401 (except for the login / me / logout calls) runs the registered
 *   unauthorized handler, which clears the session and redirects to the right
 *   login page (see `installAuthRedirect` in `src/stores/session.ts`).
 * - Signing out closes the gate (`closeForSignOut`): the requests already sent finish first, new
 *   ones are refused without leaving the browser (`signed_out`), so none meets the ended session
 *   with a 401; `reopenAfterSignOut` opens it again for the sign-in page.
 */

import { currentLocale, has, t } from '../i18n'
import { noteSessionEnd } from '../lib/sessionClock'

// ---------------------------------------------------------------------------
// Types of the API contract
// ---------------------------------------------------------------------------

export type Id = number | string
export type Role = 'admin' | 'teacher' | 'student'
export type StaffRole = 'admin' | 'teacher'
export type AccountKind = 'staff' | 'student'

export interface StaffUser {
  id: Id
  username: string
  email: string
  role: StaffRole
  must_change_password: boolean
}

export interface StaffLoginResponse {
  status: 'success'
  user: StaffUser
  csrf_token: string
}

export interface Student {
  id: Id
  /** Null for a pupil without an e-mail, who signs in with the generated `login_id`. */
  email: string | null
  login_id?: string | null
  first_name: string
  last_name: string
}

export interface StudentLoginResponse {
  status: 'success'
  student: Student
  must_change_password: boolean
  csrf_token: string
}

export interface MeUser {
  id: Id
  username: string
  email: string
  role: Role
  must_change_password: boolean
  kind: AccountKind
  /** Not in the contract (yet); used for display when present. */
  first_name?: string
  last_name?: string
}

export interface MeResponse {
  user: MeUser
  csrf_token: string
}

export interface ManagedUser {
  id: Id
  username: string
  email: string
  role: Role
  active: boolean
  must_change_password: boolean
  created_at: string
}

export interface UsersResponse {
  users: ManagedUser[]
}

export interface CreateUserInput {
  username: string
  email: string
  password: string
  role: StaffRole
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number
  /** Machine-readable code from the error envelope (or a client-side one). */
  readonly code: string
  /** Seconds to wait, from `Retry-After` (429 only); null when unknown. */
  readonly retryAfter: number | null
  /**
   * The whole JSON error body when it was an object, for the extra members
   * some endpoints add next to `error` (`fields`, `errors`, `node_id`, `path`).
   */
  readonly details: Readonly<Record<string, unknown>> | null
  /**
   * Stable identifier of the precise cause (`error.reason`, e.g. `lock_expired`),
   * which the interface turns into a sentence in the user's language; null when absent.
   */
  readonly reason: string | null
  /** Values the sentence of `reason` may use (`error.params`). */
  readonly params: Readonly<Record<string, unknown>>

  constructor(
    status: number,
    code: string,
    message: string,
    retryAfter: number | null = null,
    details: Record<string, unknown> | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
    this.details = details
    const envelope = details && isRecord(details.error) ? details.error : null
    this.reason = envelope && typeof envelope.reason === 'string' ? envelope.reason : null
    this.params = envelope && isRecord(envelope.params) ? envelope.params : {}
  }
}

/** Human message for a 429 answer, in the interface's language. */
export function rateLimitMessage(retryAfterSeconds: number | null): string {
  if (retryAfterSeconds === null) return t('errors.rateLimited.later')
  if (retryAfterSeconds < 60) {
    const s = Math.max(1, Math.ceil(retryAfterSeconds))
    return t('errors.rateLimited.seconds', { n: s })
  }
  const m = Math.ceil(retryAfterSeconds / 60)
  return t('errors.rateLimited.minutes', { n: m })
}

/** Parses `Retry-After`: either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null
  const trimmed = value.trim()
  if (trimmed === '') return null
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return null
  return Math.max(0, Math.ceil((date - now) / 1000))
}

/**
 * Message to show to a person for any error thrown by the client (or anything else),
 * in the interface's language: the sentence of the error's `reason` when the catalogue
 * has one; else, in English, the server's own message; else the caller's `fallback`
 * followed by the meaning of the error's code.
 */
export function errorMessage(err: unknown, fallback?: string): string {
  if (err instanceof ApiError) {
    if (err.reason && has(`errors.reason.${err.reason}`)) return t(`errors.reason.${err.reason}`, wordedParams(err.params))
    if (err.status === 429) return rateLimitMessage(err.retryAfter)
    if (currentLocale() === 'en' && err.message) return err.message
    const meaning = has(`errors.code.${err.code}`) ? t(`errors.code.${err.code}`) : statusMeaning(err.status)
    return fallback ? `${fallback} ${meaning}` : meaning
  }
  return fallback ?? t('errors.generic')
}

/** The error's params, with a field's API name (`pages_per_copy`) worded by the catalogue (« pages par copie »). */
function wordedParams(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params }
  if (typeof out.field === 'string') {
    const key = `errors.field.${out.field.split('.')[0]}`
    if (has(key)) out.field = t(key)
  }
  return out
}

function statusMeaning(status: number): string {
  if (status >= 500) return t('errors.server', { status })
  return t('errors.generic')
}

// ---------------------------------------------------------------------------
// CSRF token (memory only)
// ---------------------------------------------------------------------------

let csrfToken: string | null = null

export function getCsrfToken(): string | null {
  return csrfToken
}

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = typeof token === 'string' && token !== '' ? token : null
}

// ---------------------------------------------------------------------------
// 401 handling
// ---------------------------------------------------------------------------

export interface UnauthorizedContext {
  method: HttpMethod
  path: string
  error: ApiError
}

export type UnauthorizedHandler = (ctx: UnauthorizedContext) => void

let unauthorizedHandler: UnauthorizedHandler | null = null

/** Registers what to do when a call answers 401 (session expired / not signed in). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  unauthorizedHandler = handler
}

/** Calls whose 401 is an expected answer and must not trigger the redirect. */
const AUTH_EXEMPT = new Set(['POST /api/login', 'POST /api/students/login', 'GET /api/me', 'POST /api/logout'])

// ---------------------------------------------------------------------------
// Core request
// ---------------------------------------------------------------------------

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

const STATE_CHANGING: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Endpoints that are called before a session (and a CSRF token) exists. */
const PRE_SESSION = new Set(['/api/login', '/api/students/login'])

export interface RequestOptions {
  method?: HttpMethod
  /** Serialised as JSON when it is not a FormData / Blob / string. */
  body?: unknown
  /**
   * Content type of a raw body (string / Blob), e.g. `text/csv`. Ignored for
   * JSON bodies (always `application/json`) and FormData (the browser sets it).
   */
  contentType?: string
  query?: Record<string, string | number | boolean | null | undefined>
  signal?: AbortSignal
  /**
   * For endpoints where 401 may also mean "wrong current password": on 401,
   * check GET /api/me first and only treat it as an expired session when that
   * answers 401 too. Otherwise the ApiError is thrown to the caller.
   */
  verifySessionOn401?: boolean
  /** Extra request headers (e.g. `X-Lock-Token` on grading writes). */
  headers?: Record<string, string>
  /**
   * Lets the request outlive the page (`fetch` keepalive), for the last
   * best-effort calls sent on `pagehide` (releasing a grading lock).
   */
  keepalive?: boolean
}

function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue
    params.append(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path
}

function isRawBody(body: unknown): body is BodyInit {
  return (
    typeof body === 'string' ||
    (typeof FormData !== 'undefined' && body instanceof FormData) ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams)
  )
}

async function readJson(response: Response): Promise<unknown> {
  let text: string
  try {
    text = await response.text()
  } catch {
    return null
  }
  if (text.trim() === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined // not JSON
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function defaultMessageFor(status: number): string {
  switch (status) {
    case 400:
      return 'The request was not accepted. Check the form and try again.'
    case 401:
      return 'You are not signed in.'
    case 403:
      return 'You do not have permission to do this.'
    case 404:
      return 'Not found.'
    case 409:
      return 'This conflicts with existing data.'
    case 413:
      return 'This is too large.'
    default:
      return status >= 500 ? `The server had a problem (HTTP ${status}). Please try again.` : `Request failed (HTTP ${status}).`
  }
}

function toApiError(response: Response, payload: unknown): ApiError {
  const status = response.status
  let code = `http_${status}`
  let message = ''
  if (isRecord(payload) && isRecord(payload.error)) {
    if (typeof payload.error.code === 'string') code = payload.error.code
    if (typeof payload.error.message === 'string') message = payload.error.message
  }
  const details = isRecord(payload) ? payload : null
  if (status === 429) {
    const retryAfter = parseRetryAfter(response.headers.get('Retry-After'))
    return new ApiError(
      status,
      code === `http_${status}` ? 'rate_limited' : code,
      rateLimitMessage(retryAfter),
      retryAfter,
      details,
    )
  }
  return new ApiError(status, code, message || defaultMessageFor(status), null, details)
}

let csrfRefresh: Promise<void> | null = null

/** After a page reload the token is gone from memory: GET /api/me gives it back. */
async function ensureCsrfToken(): Promise<void> {
  if (csrfToken !== null) return
  if (!csrfRefresh) {
    csrfRefresh = (async () => {
      try {
        const me = await rawRequest<MeResponse>('GET', '/api/me', {})
        setCsrfToken(me.csrf_token)
      } catch {
        // Not signed in (or unreachable): the real request will report it.
      } finally {
        csrfRefresh = null
      }
    })()
  }
  await csrfRefresh
}

async function rawRequest<T>(method: HttpMethod, path: string, options: RequestOptions): Promise<T> {
  const headers = new Headers({ Accept: 'application/json' })
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value)
  let body: BodyInit | undefined
  if (options.body !== undefined) {
    if (isRawBody(options.body)) {
      body = options.body
      if (options.contentType && !(typeof FormData !== 'undefined' && body instanceof FormData)) {
        headers.set('Content-Type', options.contentType)
      }
    } else {
      headers.set('Content-Type', 'application/json')
      body = JSON.stringify(options.body)
    }
  }
  if (STATE_CHANGING.has(method) && csrfToken !== null) {
    headers.set('X-CSRF-Token', csrfToken)
  }

  let response: Response
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
      ...(options.keepalive ? { keepalive: true } : {}),
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.')
  }

  const payload = await readJson(response)
  // Every authenticated answer says when the session ends: the warning before it follows activity.
  noteSessionEnd(response.headers.get('X-Session-Expires'))
  // Any answer that carries a fresh token (login, me) updates the stored one.
  if (isRecord(payload) && typeof payload.csrf_token === 'string') {
    setCsrfToken(payload.csrf_token)
  }
  if (!response.ok) throw toApiError(response, payload)
  if (payload === undefined) {
    throw new ApiError(response.status, 'invalid_response', 'The server sent an unexpected answer.')
  }
  return (payload ?? undefined) as T
}

// ---------------------------------------------------------------------------
// The sign-out gate
// ---------------------------------------------------------------------------

/** Requests sent and not answered yet (their settling, never their failure). */
const inFlight = new Set<Promise<void>>()
let gateClosed = false

/** Calls `send` unless signing out (refused, never sent), tracking it while it is on its way. */
function tracked<T>(pathOnly: string, send: () => Promise<T>): Promise<T> {
  if (gateClosed && pathOnly !== '/api/logout') {
    return Promise.reject(new ApiError(0, 'signed_out', 'Signing out: nothing more is sent.'))
  }
  const sent = send()
  const settled = sent.then(
    () => undefined,
    () => undefined,
  )
  inFlight.add(settled)
  void settled.then(() => inFlight.delete(settled))
  return sent
}

/** Signing out: refuse new requests, then wait (at most `ms`) for those already sent. */
export async function closeForSignOut(ms: number): Promise<void> {
  gateClosed = true
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  await Promise.race([Promise.all([...inFlight]), timeout])
  clearTimeout(timer)
}

/** Signed out: requests may go again (the sign-in page). */
export function reopenAfterSignOut(): void {
  gateClosed = false
}

/** The shared 401 handling of `request` and `requestBlob`. */
async function handleUnauthorized(method: HttpMethod, pathOnly: string, err: unknown, options: RequestOptions): Promise<void> {
  if (!(err instanceof ApiError) || err.status !== 401 || AUTH_EXEMPT.has(`${method} ${pathOnly}`)) return
  let sessionGone = true
  if (options.verifySessionOn401) {
    try {
      await rawRequest<MeResponse>('GET', '/api/me', {})
      sessionGone = false // still signed in: the 401 was about this request only
    } catch (meErr) {
      sessionGone = meErr instanceof ApiError && meErr.status === 401
    }
  }
  if (sessionGone) {
    setCsrfToken(null)
    unauthorizedHandler?.({ method, path: pathOnly, error: err })
  }
}

/** Performs a request; see the module comment for the behaviour. */
export async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const pathOnly = path.split('?')[0] ?? path
  if (STATE_CHANGING.has(method) && !PRE_SESSION.has(pathOnly)) {
    await ensureCsrfToken()
  }
  try {
    return await tracked(pathOnly, () => rawRequest<T>(method, path, options))
  } catch (err) {
    await handleUnauthorized(method, pathOnly, err, options)
    throw err
  }
}

/** A file answered by the API (an export), before it is saved. */
export interface DownloadedFile {
  blob: Blob
  /** From `Content-Disposition`; null when the server did not name it. */
  filename: string | null
  contentType: string
}

/**
 * `filename*=UTF-8''…` (RFC 6266 / 5987) first, then `filename="…"`, of a
 * `Content-Disposition` header. Path separators are dropped.
 */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null
  let name: string | null = null
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header)
  if (extended?.[2]) {
    try {
      name = decodeURIComponent(extended[2].trim().replace(/^"|"$/g, ''))
    } catch {
      name = null
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header)
    const raw = plain?.[1] ?? plain?.[2]
    if (raw) name = raw.replace(/\\(.)/g, '$1').trim()
  }
  if (!name) return null
  const base = name.split(/[\\/]/).pop()?.trim() ?? ''
  return base === '' || base === '.' || base === '..' ? null : base
}

/**
 * GET of a file (CSV export…): the body comes back as a Blob with its file
 * name, and an error answer (JSON envelope) is thrown as an `ApiError`
 * exactly as `request` does, 401 handling included.
 */
export async function requestBlob(path: string, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<DownloadedFile> {
  const pathOnly = path.split('?')[0] ?? path
  try {
    let response: Response
    try {
      const headers = new Headers({ Accept: '*/*' })
      for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value)
      response = await tracked(pathOnly, () =>
        fetch(buildUrl(path, options.query), {
          method: 'GET',
          headers,
          credentials: 'same-origin',
          signal: options.signal,
        }),
      )
    } catch (err) {
      if (err instanceof ApiError || (err instanceof DOMException && err.name === 'AbortError')) throw err
      throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.')
    }
    if (!response.ok) throw toApiError(response, await readJson(response))
    const blob = await response.blob()
    return {
      blob,
      filename: filenameFromDisposition(response.headers.get('Content-Disposition')),
      contentType: response.headers.get('Content-Type') ?? blob.type,
    }
  } catch (err) {
    await handleUnauthorized('GET', pathOnly, err, options)
    throw err
  }
}

// ---------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------

/** The contract says these answer "user": accept both the bare object and `{ "user": {...} }`. */
type UserPayload = ManagedUser | { user: ManagedUser }

function unwrapUser(payload: UserPayload): ManagedUser {
  return 'user' in payload && isRecord(payload.user) ? payload.user : (payload as ManagedUser)
}

export const api = {
  login(username: string, password: string): Promise<StaffLoginResponse> {
    return request<StaffLoginResponse>('/api/login', { method: 'POST', body: { username, password } })
  },

  studentLogin(email: string, password: string): Promise<StudentLoginResponse> {
    return request<StudentLoginResponse>('/api/students/login', { method: 'POST', body: { email, password } })
  },

  me(): Promise<MeResponse> {
    return request<MeResponse>('/api/me')
  },

  async logout(): Promise<void> {
    try {
      await request<void>('/api/logout', { method: 'POST' })
    } finally {
      setCsrfToken(null)
    }
  },

  /** Staff: change own password. 401 here may mean a wrong current password. */
  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return request<void>('/api/me/password', {
      method: 'POST',
      body: { current_password: currentPassword, new_password: newPassword },
      verifySessionOn401: true,
    })
  },

  /** Student: change own password. */
  changeStudentPassword(currentPassword: string, newPassword: string): Promise<void> {
    return request<void>('/api/students/me/password', {
      method: 'POST',
      body: { current_password: currentPassword, new_password: newPassword },
      verifySessionOn401: true,
    })
  },

  async listUsers(role?: Role): Promise<ManagedUser[]> {
    const res = await request<UsersResponse>('/api/users', { query: { role } })
    return res.users
  },

  async createUser(input: CreateUserInput): Promise<ManagedUser> {
    return unwrapUser(await request<UserPayload>('/api/users', { method: 'POST', body: input }))
  },

  async setUserActive(id: Id, active: boolean): Promise<ManagedUser> {
    const path = `/api/users/${encodeURIComponent(String(id))}`
    return unwrapUser(await request<UserPayload>(path, { method: 'PATCH', body: { active } }))
  },

  async resetUserPassword(id: Id, password: string): Promise<ManagedUser> {
    const path = `/api/users/${encodeURIComponent(String(id))}/password`
    return unwrapUser(await request<UserPayload>(path, { method: 'POST', body: { password } }))
  },
}

/** For tests: forget all module state. */
export function resetClientState(): void {
  csrfToken = null
  csrfRefresh = null
  unauthorizedHandler = null
  gateClosed = false
  inFlight.clear()
}
