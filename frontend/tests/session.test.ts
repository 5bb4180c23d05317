import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { getCsrfToken, resetClientState } from '../src/api/client'
import {
  displayName,
  loadMe,
  login,
  logout,
  resetSessionState,
  safeNext,
  session,
  studentLogin,
} from '../src/stores/session'
import { apiError, empty, json, mockFetch, staffAdmin } from './helpers'

beforeEach(() => {
  resetClientState()
  resetSessionState()
})

afterEach(() => {
  resetClientState()
  resetSessionState()
})

describe('session store', () => {
  it('loadMe stores the user and the CSRF token, and caches the answer', async () => {
    const { calls } = mockFetch({ 'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'tok' }) })
    const user = await loadMe()
    await loadMe()
    expect(user).toMatchObject({ username: 'alice', role: 'admin', kind: 'staff' })
    expect(session.user?.username).toBe('alice')
    expect(getCsrfToken()).toBe('tok')
    expect(calls).toHaveLength(1)
  })

  it('loadMe resolves to null when not signed in', async () => {
    mockFetch({ 'GET /api/me': apiError(401, 'not_authenticated', 'Sign in first.') })
    await expect(loadMe()).resolves.toBeNull()
    expect(session.loaded).toBe(true)
    expect(session.user).toBeNull()
  })

  it('login keeps the staff user with kind "staff"', async () => {
    mockFetch({
      'POST /api/login': json(200, {
        status: 'success',
        user: { id: 4, username: 'tess', email: 't@x.test', role: 'teacher', must_change_password: true },
        csrf_token: 'tok-login',
      }),
    })
    const user = await login('t@x.test', 'pw')
    expect(user).toMatchObject({ username: 'tess', role: 'teacher', kind: 'staff', must_change_password: true })
    expect(getCsrfToken()).toBe('tok-login')
  })

  it('studentLogin maps the student answer to a session user', async () => {
    const { calls } = mockFetch({
      'POST /api/students/login': json(200, {
        status: 'success',
        student: { id: 7, email: 'sam@x.test', first_name: 'Sam', last_name: 'Lee' },
        must_change_password: false,
        csrf_token: 'tok-student',
      }),
    })
    const user = await studentLogin('sam@x.test', 'pw')
    expect(calls[0]!.body).toEqual({ email: 'sam@x.test', password: 'pw' })
    expect(user).toMatchObject({ role: 'student', kind: 'student', email: 'sam@x.test' })
    expect(displayName(user)).toBe('Sam Lee')
    expect(getCsrfToken()).toBe('tok-student')
  })

  it('logout posts with the CSRF token and forgets everything, even if the server fails', async () => {
    mockFetch({ 'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'tok' }) })
    await loadMe()

    const { calls } = mockFetch({ 'POST /api/logout': empty(204) })
    await expect(logout()).resolves.toBe('staff')
    expect(calls[0]!.headers.get('X-CSRF-Token')).toBe('tok')
    expect(session.user).toBeNull()
    expect(getCsrfToken()).toBeNull()

    mockFetch({ 'POST /api/logout': apiError(500, 'server_error', 'Boom') })
    await expect(logout()).resolves.toBe('staff')
  })

  it('safeNext only accepts local paths', () => {
    expect(safeNext('/admin/users?x=1')).toBe('/admin/users?x=1')
    expect(safeNext('//evil.example')).toBeNull()
    expect(safeNext('https://evil.example')).toBeNull()
    expect(safeNext('/\\evil.example')).toBeNull()
    expect(safeNext('/login')).toBeNull()
    expect(safeNext(undefined)).toBeNull()
  })
})
