import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, type Router } from 'vue-router'
import { api, ApiError, getCsrfToken, resetClientState } from '../src/api/client'
import { buildRouter } from '../src/router'
import { resetSessionState, session } from '../src/stores/session'
import { apiError, json, mockFetch, staffAdmin, student } from './helpers'

function meOk(user: object, token = 'tok-me') {
  return json(200, { user, csrf_token: token })
}

/** Lets a redirect started by the 401 handler (if any) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10))
}

/** Waits until the router lands on `path` (the redirect loads a lazy page). */
async function landsOn(router: Router, path: string): Promise<void> {
  await vi.waitFor(() => expect(router.currentRoute.value.path).toBe(path), { timeout: 5000 })
}

async function startAt(path: string): Promise<Router> {
  const router = buildRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  return router
}

beforeEach(() => {
  resetClientState()
  resetSessionState()
  // jsdom does not implement scrolling; the router's scrollBehavior calls it.
  vi.stubGlobal('scrollTo', vi.fn())
})

afterEach(() => {
  resetClientState()
  resetSessionState()
})

describe('401 handling', () => {
  it('clears the session and sends staff to /login?next=<path>', async () => {
    let signedIn = true
    mockFetch({
      'GET /api/me': () => (signedIn ? meOk(staffAdmin) : apiError(401, 'not_authenticated', 'Sign in first.')),
      'GET /api/users': apiError(401, 'not_authenticated', 'Sign in first.'),
    })
    const router = await startAt('/admin/users?role=teacher')
    expect(router.currentRoute.value.fullPath).toBe('/admin/users?role=teacher')
    expect(session.user?.username).toBe('alice')
    expect(getCsrfToken()).toBe('tok-me')

    signedIn = false // the session expires on the server
    await expect(api.listUsers()).rejects.toMatchObject({ status: 401 })
    await landsOn(router, '/login')

    expect(session.user).toBeNull()
    expect(getCsrfToken()).toBeNull()
    expect(router.currentRoute.value.query.next).toBe('/admin/users?role=teacher')
  })

  it('sends a student to /student/login?next=<path>', async () => {
    mockFetch({
      'GET /api/me': meOk(student),
      'POST /api/students/me/password': apiError(401, 'not_authenticated', 'Sign in first.'),
    })
    const router = await startAt('/student')
    expect(router.currentRoute.value.path).toBe('/student')

    // A 401 on a state-changing call other than login/me also redirects. Here
    // the session check (GET /api/me) is made to fail too.
    mockFetch({
      'GET /api/me': apiError(401, 'not_authenticated', 'Sign in first.'),
      'POST /api/students/me/password': apiError(401, 'not_authenticated', 'Sign in first.'),
    })
    await expect(api.changeStudentPassword('old-password-1', 'new-password-12')).rejects.toBeInstanceOf(ApiError)
    await landsOn(router, '/student/login')

    expect(session.user).toBeNull()
    expect(router.currentRoute.value.query.next).toBe('/student')
  })

  it('does not redirect on a 401 from login (wrong password)', async () => {
    mockFetch({
      'GET /api/me': apiError(401, 'not_authenticated', 'Sign in first.'),
      'POST /api/login': apiError(401, 'invalid_credentials', 'Invalid credentials.'),
    })
    const router = await startAt('/login?next=/admin')
    await expect(api.login('alice', 'wrong')).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' })
    await settle()
    expect(router.currentRoute.value.fullPath).toBe('/login?next=/admin')
  })

  it('does not redirect on a 401 from GET /api/me (the guard handles "not signed in")', async () => {
    const { calls } = mockFetch({ 'GET /api/me': apiError(401, 'not_authenticated', 'Sign in first.') })
    const router = await startAt('/teacher')
    // The guard itself sends the visitor to the login page with next=...
    expect(router.currentRoute.value.path).toBe('/login')
    expect(router.currentRoute.value.query.next).toBe('/teacher')
    expect(calls.filter((c) => c.url === '/api/me')).toHaveLength(1)
  })

  it('keeps the session when a password change answers 401 but the session is still valid', async () => {
    mockFetch({
      'GET /api/me': meOk(staffAdmin),
      'POST /api/me/password': apiError(401, 'invalid_credentials', 'Current password is incorrect.'),
    })
    const router = await startAt('/change-password')
    await expect(api.changePassword('wrong-current', 'new-password-12')).rejects.toMatchObject({
      status: 401,
      message: 'Current password is incorrect.',
    })
    await settle()
    expect(session.user?.username).toBe('alice')
    expect(router.currentRoute.value.path).toBe('/change-password')
  })
})
