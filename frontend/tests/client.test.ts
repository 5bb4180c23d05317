import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  api,
  ApiError,
  getCsrfToken,
  parseRetryAfter,
  rateLimitMessage,
  request,
  resetClientState,
  setCsrfToken,
  setUnauthorizedHandler,
  type UnauthorizedContext,
} from '../src/api/client'
import { apiError, empty, json, mockFetch } from './helpers'

beforeEach(() => {
  resetClientState()
})

afterEach(() => {
  resetClientState()
})

describe('CSRF header', () => {
  it('is sent on POST, with a JSON content type and same-origin credentials', async () => {
    setCsrfToken('tok-123')
    const { calls } = mockFetch({ 'POST /api/users': json(201, { id: 3, username: 'bob' }) })

    await request('/api/users', { method: 'POST', body: { username: 'bob' } })

    expect(calls).toHaveLength(1)
    const call = calls[0]!
    expect(call.headers.get('X-CSRF-Token')).toBe('tok-123')
    expect(call.headers.get('Content-Type')).toBe('application/json')
    expect(call.credentials).toBe('same-origin')
    expect(call.body).toEqual({ username: 'bob' })
  })

  it('is sent on PATCH, PUT and DELETE too', async () => {
    setCsrfToken('tok-abc')
    const { calls } = mockFetch({
      'PATCH /api/x': json(200, {}),
      'PUT /api/x': json(200, {}),
      'DELETE /api/x': empty(),
    })
    await request('/api/x', { method: 'PATCH', body: {} })
    await request('/api/x', { method: 'PUT', body: {} })
    await request('/api/x', { method: 'DELETE' })
    expect(calls.map((c) => c.headers.get('X-CSRF-Token'))).toEqual(['tok-abc', 'tok-abc', 'tok-abc'])
  })

  it('is not sent on GET, and GET has no JSON content type', async () => {
    setCsrfToken('tok-123')
    const { calls } = mockFetch({ 'GET /api/users': json(200, { users: [] }) })

    await api.listUsers('teacher')

    const call = calls[0]!
    expect(call.url).toBe('/api/users?role=teacher')
    expect(call.headers.has('X-CSRF-Token')).toBe(false)
    expect(call.headers.has('Content-Type')).toBe(false)
    expect(call.credentials).toBe('same-origin')
  })

  it('uses the token from the login answer for later requests', async () => {
    const { calls } = mockFetch({
      'POST /api/login': json(200, {
        status: 'success',
        user: { id: 1, username: 'alice', email: 'a@x.test', role: 'admin', must_change_password: false },
        csrf_token: 'from-login',
      }),
      'PATCH /api/users/5': json(200, { id: 5, username: 'bob', active: false }),
    })

    await api.login('alice', 'secret')
    expect(getCsrfToken()).toBe('from-login')
    // No token existed before login: the login POST carries none and does not probe /api/me.
    expect(calls[0]!.headers.has('X-CSRF-Token')).toBe(false)

    await api.setUserActive(5, false)
    expect(calls[1]!.headers.get('X-CSRF-Token')).toBe('from-login')
    expect(calls[1]!.body).toEqual({ active: false })
  })

  it('after a reload (no token in memory) fetches it from GET /api/me before a POST', async () => {
    const { calls } = mockFetch({
      'GET /api/me': json(200, {
        user: { id: 1, username: 'alice', email: 'a@x.test', role: 'admin', must_change_password: false, kind: 'staff' },
        csrf_token: 'from-me',
      }),
      'POST /api/users/9/password': json(200, { id: 9, username: 'tom' }),
    })

    const user = await api.resetUserPassword(9, 'a-new-temporary-pass')

    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/me', 'POST /api/users/9/password'])
    expect(calls[1]!.headers.get('X-CSRF-Token')).toBe('from-me')
    expect(calls[1]!.body).toEqual({ password: 'a-new-temporary-pass' })
    expect(user).toMatchObject({ id: 9, username: 'tom' })
  })
})

describe('error envelope', () => {
  it('becomes an ApiError with status, code and message', async () => {
    setCsrfToken('t')
    mockFetch({ 'POST /api/users': apiError(409, 'duplicate', 'A user with this username already exists.') })

    const err = await api
      .createUser({ username: 'bob', email: 'b@x.test', password: 'long enough pass', role: 'teacher' })
      .catch((e: unknown) => e)

    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({
      status: 409,
      code: 'duplicate',
      message: 'A user with this username already exists.',
      retryAfter: null,
    })
  })

  it('keeps the policy message of a 400', async () => {
    setCsrfToken('t')
    mockFetch({ 'POST /api/users': apiError(400, 'weak_password', 'This password is too common.') })
    await expect(
      api.createUser({ username: 'bob', email: 'b@x.test', password: 'password1234', role: 'teacher' }),
    ).rejects.toMatchObject({ status: 400, code: 'weak_password', message: 'This password is too common.' })
  })

  it('gives a readable message when the error body is not JSON', async () => {
    mockFetch({ 'GET /api/users': new Response('<html>Bad gateway</html>', { status: 502 }) })
    await expect(api.listUsers()).rejects.toMatchObject({ status: 502, code: 'http_502' })
    await expect(api.listUsers()).rejects.toThrow(/HTTP 502/)
  })

  it('reports an unreachable server as status 0', async () => {
    mockFetch({ 'GET /api/users': () => Promise.reject(new TypeError('Failed to fetch')) })
    await expect(api.listUsers()).rejects.toMatchObject({ status: 0, code: 'network_error' })
  })

  it('returns undefined for 204', async () => {
    setCsrfToken('t')
    mockFetch({ 'POST /api/me/password': empty(204) })
    await expect(api.changePassword('old-password-1', 'new-password-12')).resolves.toBeUndefined()
  })
})

describe('429 rate limiting', () => {
  it('reads Retry-After (seconds) and says how long to wait', async () => {
    mockFetch({ 'POST /api/login': apiError(429, 'rate_limited', 'Slow down', { 'Retry-After': '900' }) })

    const err = (await api.login('alice', 'x').catch((e: unknown) => e)) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(429)
    expect(err.retryAfter).toBe(900)
    expect(err.message).toBe('Too many attempts. Try again in 15 minutes.')
  })

  it('rounds up to whole minutes, and handles a missing header', async () => {
    mockFetch({ 'POST /api/students/login': apiError(429, 'rate_limited', 'Slow down', { 'Retry-After': '61' }) })
    await expect(api.studentLogin('s@x.test', 'x')).rejects.toMatchObject({
      retryAfter: 61,
      message: 'Too many attempts. Try again in 2 minutes.',
    })

    mockFetch({ 'POST /api/students/login': json(429, {}) })
    await expect(api.studentLogin('s@x.test', 'x')).rejects.toMatchObject({
      retryAfter: null,
      code: 'rate_limited',
      message: 'Too many attempts. Try again later.',
    })
  })

  it('parses both forms of Retry-After', () => {
    const now = Date.parse('2025-01-01T10:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120)
    expect(parseRetryAfter('Wed, 01 Jan 2025 10:05:00 GMT', now)).toBe(300)
    expect(parseRetryAfter('garbage', now)).toBeNull()
    expect(parseRetryAfter(null, now)).toBeNull()
  })

  it('words the wait in minutes or seconds', () => {
    expect(rateLimitMessage(60)).toBe('Too many attempts. Try again in 1 minute.')
    expect(rateLimitMessage(300)).toBe('Too many attempts. Try again in 5 minutes.')
    expect(rateLimitMessage(30)).toBe('Too many attempts. Try again in 30 seconds.')
  })
})

describe('401 hook', () => {
  it('runs the unauthorized handler for ordinary calls, and forgets the CSRF token', async () => {
    const handler = vi.fn<(ctx: UnauthorizedContext) => void>()
    setUnauthorizedHandler(handler)
    setCsrfToken('t')
    mockFetch({ 'PATCH /api/users/3': apiError(401, 'not_authenticated', 'Sign in first.') })

    await expect(api.setUserActive(3, true)).rejects.toMatchObject({ status: 401 })

    expect(handler).toHaveBeenCalledTimes(1)
    expect(handler.mock.calls[0]![0]).toMatchObject({ method: 'PATCH', path: '/api/users/3' })
    expect(getCsrfToken()).toBeNull()
  })

  it('does not run it for login, student login, GET /api/me or logout', async () => {
    const handler = vi.fn()
    setUnauthorizedHandler(handler)
    const unauthorized = apiError(401, 'invalid_credentials', 'Invalid credentials.')
    mockFetch({
      'POST /api/login': unauthorized,
      'POST /api/students/login': unauthorized,
      'GET /api/me': unauthorized,
      'POST /api/logout': unauthorized,
    })

    await expect(api.login('a', 'b')).rejects.toMatchObject({ status: 401, message: 'Invalid credentials.' })
    await expect(api.studentLogin('a@x.test', 'b')).rejects.toMatchObject({ status: 401 })
    await expect(api.me()).rejects.toMatchObject({ status: 401 })
    await expect(api.logout()).rejects.toMatchObject({ status: 401 })
    expect(handler).not.toHaveBeenCalled()
  })

  it('for a password change, checks GET /api/me before deciding the session is gone', async () => {
    const handler = vi.fn()
    setUnauthorizedHandler(handler)
    setCsrfToken('t')
    const { calls } = mockFetch({
      'POST /api/me/password': apiError(401, 'wrong_password', 'Current password is incorrect.'),
      'GET /api/me': json(200, { user: { id: 1 }, csrf_token: 't2' }),
    })

    await expect(api.changePassword('bad', 'new-password-12')).rejects.toMatchObject({ code: 'wrong_password' })
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /api/me/password', 'GET /api/me'])
    expect(handler).not.toHaveBeenCalled()
    expect(getCsrfToken()).toBe('t2')
  })
})

describe('session end header', () => {
  // Needs the one-line `noteSessionEnd(response.headers.get('X-Session-Expires'))` in rawRequest.
  it('every answer carrying X-Session-Expires moves the session clock (the warning follows activity)', async () => {
    const { resetSessionClock, sessionClock } = await import('../src/lib/sessionClock')
    resetSessionClock()
    mockFetch({ 'GET /api/teacher/copies': json(200, { copies: [] }, { 'X-Session-Expires': '2030-01-01T16:00:00Z' }) })
    await request('/api/teacher/copies')
    expect(sessionClock.endsAt).toBe(Date.parse('2030-01-01T16:00:00Z'))
  })
})
