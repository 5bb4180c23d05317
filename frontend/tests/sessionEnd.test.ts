/**
 * Sessions that never lose work: the sign-out hooks, drafts kept while signed out and written back
 * after signing in, the warning before the end, the sign-in page after an expiry, no probe on a
 * fresh sign-in page.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { request, resetClientState, setCsrfToken } from '../src/api/client'
import SessionExpiryWarning from '../src/components/SessionExpiryWarning.vue'
import { i18n, setLocale } from '../src/i18n'
import { DraftAutosave } from '../src/lib/draftAutosave'
import { keepDraft, keptDraft, replayKeptDrafts, staleDrafts } from '../src/lib/pendingDrafts'
import { noteSessionEnd, resetSessionClock, sessionClock } from '../src/lib/sessionClock'
import { installAuthRedirect, loadMe, login, logout, onBeforeSignOut, resetSessionState, session } from '../src/stores/session'
import { apiError, empty, json, mockFetch, staffAdmin } from './helpers'
import { byTestId, flush, mountAt } from './mount'

const teacher = { ...staffAdmin, id: 't1', username: 'tess', role: 'teacher' as const }

beforeEach(() => {
  resetClientState()
  resetSessionState()
  resetSessionClock()
  window.localStorage.clear()
  staleDrafts.list = []
})

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('signing out', () => {
  it('waits for the registered hooks (flush the draft, release the lock) before /api/logout', async () => {
    const order: string[] = []
    mockFetch({
      'POST /api/logout': () => {
        order.push('logout')
        return empty(204)
      },
    })
    onBeforeSignOut(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      order.push('desk flushed')
    })
    const unregister = onBeforeSignOut(async () => {
      order.push('unregistered hook')
    })
    unregister()
    await logout()
    expect(order).toEqual(['desk flushed', 'logout'])
  })

  it('a request on its way gets its answer before signing out; one asked meanwhile is never sent', async () => {
    let answer: (() => void) | null = null
    const order: string[] = []
    const { calls } = mockFetch({
      'GET /api/teacher/questions': () =>
        new Promise<Response>((resolve) => {
          answer = () => {
            order.push('questions answered')
            resolve(json(200, { questions: [] }))
          }
        }),
      'POST /api/logout': () => {
        order.push('logout')
        return empty(204)
      },
    })
    setCsrfToken('c')
    const asked = request('/api/teacher/questions')
    await new Promise((resolve) => setTimeout(resolve, 0))
    const signingOut = logout()
    await new Promise((resolve) => setTimeout(resolve, 10))
    const late = request('/api/teacher/copies') // a timer firing while signing out
    await expect(late).rejects.toMatchObject({ status: 0, code: 'signed_out' })
    expect(order).toEqual([])
    answer!()
    await expect(asked).resolves.toEqual({ questions: [] })
    await signingOut
    expect(order).toEqual(['questions answered', 'logout'])
    expect(calls.map((c) => c.url)).toEqual(['/api/teacher/questions', '/api/logout'])
    mockFetch({ 'GET /api/exams': json(200, { exams: [] }) })
    await expect(request('/api/exams')).resolves.toEqual({ exams: [] }) // the sign-in page may ask again
  })

  it('signs out anyway when a hook fails or hangs', async () => {
    vi.useFakeTimers()
    const { calls } = mockFetch({ 'GET /api/me': apiError(401, 'x', 'x'), 'POST /api/logout': empty(204) })
    onBeforeSignOut(() => Promise.reject(new Error('lock release failed')))
    onBeforeSignOut(() => new Promise(() => undefined))
    const done = logout()
    await vi.advanceTimersByTimeAsync(3000)
    await done
    expect(calls.filter((c) => c.url === '/api/logout')).toHaveLength(1)
  })
})

describe('drafts kept while signed out', () => {
  it('a save refused with 401 keeps the draft for this account and copy, and stops', async () => {
    mockFetch({ 'GET /api/me': json(200, { user: teacher, csrf_token: 'c' }) })
    window.localStorage.setItem('korrigo:signed-in', '1')
    await loadMe()
    const write = vi.fn().mockRejectedValue(new (await import('../src/api/client')).ApiError(401, 'not_authenticated', 'Sign in.'))
    const saver = new DraftAutosave({ write, copyId: 'c9', delayMs: 1 }, 3)
    saver.schedule({ scores: { q1: 2 }, remarks: { q1: 'Bien' } })
    await saver.flush()
    expect(saver.state.phase).toBe('stopped')
    expect(keptDraft('t1', 'c9')).toMatchObject({ version: 3, payload: { scores: { q1: 2 }, remarks: { q1: 'Bien' } } })
  })

  it('closing the tab with unsaved changes keeps them too', async () => {
    mockFetch({ 'GET /api/me': json(200, { user: teacher, csrf_token: 'c' }) })
    window.localStorage.setItem('korrigo:signed-in', '1')
    await loadMe()
    const saver = new DraftAutosave({ write: vi.fn(), copyId: 'c9', delayMs: 60_000 }, 1)
    saver.schedule({ scores: { q1: 4 } })
    window.dispatchEvent(new Event('beforeunload'))
    expect(keptDraft('t1', 'c9')?.payload).toEqual({ scores: { q1: 4 } })
    saver.stop()
  })

  it('signing back in writes the kept draft on its version under the lock, then lets the lock go', async () => {
    keepDraft('t1', 'c9', 3, { scores: { q1: 2 } })
    const { calls } = mockFetch({
      'POST /api/login': json(200, { status: 'success', user: teacher, csrf_token: 'c', session_expires_at: '2030-01-01T12:00:00Z' }),
      'POST /api/copies/c9/lock': json(200, { token: 'lock-1', expires_at: 'x' }),
      'PUT /api/copies/c9/draft': json(200, { version: 4 }),
      'DELETE /api/copies/c9/lock': empty(204),
    })
    await login('tess', 'pw')
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /api/login',
      'POST /api/copies/c9/lock',
      'PUT /api/copies/c9/draft',
      'DELETE /api/copies/c9/lock',
    ])
    expect(calls[2]!.body).toMatchObject({ version: 3, payload: { scores: { q1: 2 } } })
    expect(calls[2]!.headers.get('X-Lock-Token')).toBe('lock-1')
    expect(keptDraft('t1', 'c9')).toBeNull()
    expect(sessionClock.endsAt).toBe(Date.parse('2030-01-01T12:00:00Z'))
  })

  it('a copy that moved on keeps the draft, never applies it, and says so', async () => {
    keepDraft('t1', 'c9', 3, { scores: { q1: 2 } })
    mockFetch({
      'POST /api/copies/c9/lock': json(200, { token: 'lock-1', expires_at: 'x' }),
      'PUT /api/copies/c9/draft': apiError(409, 'conflict', 'The draft changed.'),
      'GET /api/copies/c9/draft': json(200, { version: 5, payload: { scores: { q1: 1 } } }),
      'DELETE /api/copies/c9/lock': empty(204),
    })
    expect(await replayKeptDrafts('t1')).toEqual(['stale'])
    expect(keptDraft('t1', 'c9')).toMatchObject({ stale: true, payload: { scores: { q1: 2 } } })
    expect(staleDrafts.list.map((d) => d.copyId)).toEqual(['c9'])
  })

  it('a draft the server already holds (the last write did land) is simply forgotten', async () => {
    keepDraft('t1', 'c9', 3, { scores: { q1: 2 } })
    mockFetch({
      'POST /api/copies/c9/lock': json(200, { token: 'lock-1', expires_at: 'x' }),
      'PUT /api/copies/c9/draft': apiError(409, 'conflict', 'The draft changed.'),
      'GET /api/copies/c9/draft': json(200, { version: 4, payload: { scores: { q1: 2 } } }),
      'DELETE /api/copies/c9/lock': empty(204),
    })
    expect(await replayKeptDrafts('t1')).toEqual(['replayed'])
    expect(keptDraft('t1', 'c9')).toBeNull()
  })
})

describe('the session end', () => {
  async function mountWarning() {
    setLocale('fr')
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/teacher', component: { render: () => h(SessionExpiryWarning) } },
        { path: '/login', component: { render: () => null }, meta: { guestOnly: true } },
      ],
    })
    const root = document.createElement('div')
    document.body.appendChild(root)
    const app = createApp({ render: () => h(RouterView) })
    app.use(i18n).use(router)
    await router.push('/teacher')
    await router.isReady()
    app.mount(root)
    await nextTick()
    return { root, router, unmount: () => app.unmount() }
  }

  it('warns five minutes before the end, in French, and "Rester connecté" extends it', async () => {
    mockFetch({
      'GET /api/me': json(200, { user: teacher, csrf_token: 'c' }),
      'POST /api/session/extend': json(200, { session_expires_at: new Date(Date.now() + 4 * 3600_000).toISOString() }),
    })
    window.localStorage.setItem('korrigo:signed-in', '1')
    await loadMe()
    noteSessionEnd(new Date(Date.now() + 6 * 60_000).toISOString())
    const view = await mountWarning()
    expect(view.root.querySelector('[data-testid="session-warning"]')).toBeNull()

    noteSessionEnd(new Date(Date.now() + 4 * 60_000 + 30_000).toISOString())
    await flush()
    expect(byTestId(view.root, 'session-time-left').textContent).toMatch(/^Elle expire dans 4 min 3\d s/)
    byTestId(view.root, 'session-stay').click()
    await flush()
    expect(view.root.querySelector('[data-testid="session-warning"]')).toBeNull()
    view.unmount()
  })

  it('at the end, once the server confirms, goes to the sign-in page which says the session expired', async () => {
    mockFetch({ 'GET /api/me': json(200, { user: teacher, csrf_token: 'c' }) })
    window.localStorage.setItem('korrigo:signed-in', '1')
    await loadMe()
    noteSessionEnd(new Date(Date.now() - 1000).toISOString())
    mockFetch({ 'GET /api/me': apiError(401, 'not_authenticated', 'Sign in.') })
    const view = await mountWarning()
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await flush()
    expect(view.router.currentRoute.value.fullPath).toBe('/login?next=/teacher&expired=1')
    expect(session.user).toBeNull()
    expect(session.expired).toBe(true)
    view.unmount()
  })

  it('a 401 while signed in sends to /login?next=…&expired=1 and the page says so in French', async () => {
    const page = await mountAt('/login?next=/teacher/copies/c9&expired=1', 'fr')
    await flush()
    expect(byTestId(page.root, 'session-expired').textContent).toContain('Votre session a expiré')
    expect(byTestId(page.root, 'login-submit').textContent?.trim()).toBe('Se connecter')
    page.unmount()
  })

  it('a fresh sign-in page does not probe /api/me (its 401 would be logged)', async () => {
    const { calls } = mockFetch({})
    window.history.replaceState(null, '', '/login')
    await expect(loadMe()).resolves.toBeNull()
    expect(calls).toHaveLength(0)
    window.history.replaceState(null, '', '/')
  })

  it('the 401 handler marks the session as expired only when someone was signed in', async () => {
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/teacher', component: { render: () => null } },
        { path: '/login', component: { render: () => null }, meta: { guestOnly: true } },
      ],
    })
    installAuthRedirect(router)
    await router.push('/teacher')
    mockFetch({ 'GET /api/teacher/copies': apiError(401, 'not_authenticated', 'Sign in.') })
    const { request } = await import('../src/api/client')
    await request('/api/teacher/copies').catch(() => undefined)
    await flush()
    expect(router.currentRoute.value.query).toEqual({ next: '/teacher' })
  })
})

describe('drafts kept after a failed write', () => {
  it('keeps the changes while a write fails and forgets them once one is written', async () => {
    mockFetch({ 'GET /api/me': json(200, { user: teacher, csrf_token: 'c' }) })
    window.localStorage.setItem('korrigo:signed-in', '1')
    await loadMe()
    const { ApiError } = await import('../src/api/client')
    const write = vi
      .fn()
      .mockRejectedValueOnce(new ApiError(0, 'network_error', 'Offline.'))
      .mockResolvedValueOnce({ version: 2 })
    const saver = new DraftAutosave({ write, copyId: 'c9', delayMs: 1, retryMs: 1 }, 1)
    saver.schedule({ scores: { q1: 5 } })
    await saver.flush()
    expect(saver.state.phase).toBe('error')
    expect(keptDraft('t1', 'c9')).toMatchObject({ version: 1, payload: { scores: { q1: 5 } } })
    await saver.flush()
    expect(saver.state.phase).toBe('saved')
    expect(keptDraft('t1', 'c9')).toBeNull()
    saver.stop()
  })
})

describe('the 12-hour cap', () => {
  it('when the keep-alive cannot move the end, the banner says so and offers no button', async () => {
    setLocale('fr')
    const end = new Date(Date.now() + 3 * 60_000).toISOString()
    mockFetch({
      'GET /api/me': json(200, { user: teacher, csrf_token: 'c' }),
      'POST /api/session/extend': json(200, { session_expires_at: end }),
    })
    window.localStorage.setItem('korrigo:signed-in', '1')
    await loadMe()
    noteSessionEnd(end)
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { render: () => h(SessionExpiryWarning) } }] })
    const root = document.createElement('div')
    const app = createApp({ render: () => h(RouterView) }).use(i18n).use(router)
    await router.push('/')
    app.mount(root)
    await flush()
    byTestId(root, 'session-stay').click()
    await flush()
    expect(byTestId(root, 'session-time-left').textContent).toContain('ne peut plus être prolongée')
    expect(root.querySelector('[data-testid="session-stay"]')).toBeNull()
    app.unmount()
  })
})
