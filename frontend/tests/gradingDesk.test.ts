import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { loadMe, logout, resetSessionState } from '../src/stores/session'
import { apiError, empty, json, mockFetch, staffAdmin, type Call, type Responder } from './helpers'
import { allByTestId, byTestId, flush, mountAt, press, type Mounted } from './mount'
import { copyFixture } from './gradingFixtures'
import { nextReadyCopy } from '../src/composables/desk/nextCopy'
import type { TeacherCopy } from '../src/api/grading'

let view: Mounted | null = null
const root = () => view!.root
const q = <T extends Element = HTMLElement>(id: string) => byTestId<T>(root(), id)
const has = (id: string) => root().querySelector(`[data-testid="${id}"]`) !== null

/** Waits for real async work (mocked fetch, lazy routes) without moving the fake clock. */
async function until(check: () => unknown, tries = 300): Promise<void> {
  let last: unknown
  for (let i = 0; i < tries; i++) {
    try {
      if (check() !== false) return
    } catch (err) {
      last = err
    }
    await flush(2)
    await new Promise<void>((r) => setImmediate(r))
  }
  if (last) throw last
  throw new Error('Condition never met')
}

const scoreInput = (id: string) => root().querySelector<HTMLInputElement>(`[data-testid="score-input"][data-node-id="${id}"]`)!
const remarkInput = (id: string) => root().querySelector<HTMLTextAreaElement>(`[data-testid="remark-input"][data-node-id="${id}"]`)!

function typeInto(field: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  field.value = value
  field.dispatchEvent(new Event('input', { bubbles: true }))
}

function pointer(type: string, x: number, y: number): Event {
  const event = new MouseEvent(type, { clientX: x, clientY: y, bubbles: true, cancelable: true, button: 0 })
  Object.defineProperty(event, 'pointerId', { value: 1 })
  return event
}

function deskRoutes(extra: Record<string, Responder | Response> = {}, copy = copyFixture()) {
  return {
    'GET /api/copies/c1': json(200, copy),
    'POST /api/copies/c1/lock': json(201, { token: 'lock-1', expires_at: '2025-06-12T10:10:00Z' }),
    'POST /api/copies/c1/lock/heartbeat': json(200, { expires_at: '2025-06-12T10:10:30Z' }),
    'DELETE /api/copies/c1/lock': empty(204),
    'GET /api/copies/c1/draft': json(200, { version: 0, payload: null, updated_at: null, client_id: null }),
    'PUT /api/copies/c1/draft': (c: Call) =>
      json(200, { version: (c.body as { version: number }).version + 1, updated_at: '2025-06-12T10:00:00Z' }),
    'GET /api/bank': json(200, { comments: [] }),
    ...extra,
  }
}

const calls = (all: Call[], method: string, path: string) => all.filter((c) => c.method === method && c.url.split('?')[0] === path)

async function openDesk(): Promise<void> {
  view = await mountAt('/teacher/copies/c1')
  await until(() => expect(q('page-image')).toBeTruthy())
}

async function openEditable(): Promise<void> {
  await openDesk()
  await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
}

// The desk is a lazy route: load it once up front so that the first test's clock does not pay for it.
beforeAll(async () => {
  await import('../src/views/GradingDeskView.vue')
  await import('../src/views/TeacherDashboardView.vue')
}, 60_000)

beforeEach(() => {
  resetClientState()
  setCsrfToken('csrf')
  vi.stubGlobal('scrollTo', vi.fn())
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => null)
  window.sessionStorage.setItem('korrigo:client-id', 'tab-A')
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  vi.setSystemTime(new Date('2025-06-12T10:00:00Z'))
})

afterEach(() => {
  view?.unmount()
  view = null
  vi.useRealTimers()
  resetClientState()
  resetSessionState()
  window.sessionStorage.clear()
})

describe('grading desk: lock', () => {
  it('takes the lock (201), sends a heartbeat every 30 s with the token, releases it when leaving', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openEditable()
    expect(calls(all, 'POST', '/api/copies/c1/lock')).toHaveLength(1)
    expect(has('readonly-banner')).toBe(false)
    expect(q('copy-status').dataset.status).toBe('LOCKED')
    expect(q('page-counter').textContent).toBe('1 / 3')
    expect(calls(all, 'POST', '/api/copies/c1/lock/heartbeat')).toHaveLength(0)

    await vi.advanceTimersByTimeAsync(30_000)
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/lock/heartbeat')).toHaveLength(1))
    const beat = calls(all, 'POST', '/api/copies/c1/lock/heartbeat')[0]!
    expect(beat.headers.get('X-Lock-Token')).toBe('lock-1')
    expect(beat.headers.get('X-CSRF-Token')).toBe('csrf')
    await vi.advanceTimersByTimeAsync(30_000)
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/lock/heartbeat')).toHaveLength(2))

    view!.unmount()
    view = null
    await until(() => expect(calls(all, 'DELETE', '/api/copies/c1/lock')).toHaveLength(1))
    expect(calls(all, 'DELETE', '/api/copies/c1/lock')[0]!.headers.get('X-Lock-Token')).toBe('lock-1')
    // No heartbeat after leaving.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls(all, 'POST', '/api/copies/c1/lock/heartbeat')).toHaveLength(2)
  })

  it('leaving the page writes the pending draft first, then releases the lock', async () => {
    const order: string[] = []
    mockFetch(
      deskRoutes({
        'PUT /api/copies/c1/draft': (c) => {
          order.push(`draft ${JSON.stringify((c.body as { payload: { scores: unknown } }).payload.scores)}`)
          return json(200, { version: 1, updated_at: 'x' })
        },
        'DELETE /api/copies/c1/lock': () => {
          order.push('release')
          return empty(204)
        },
      }),
    )
    await openEditable()
    typeInto(scoreInput('ex2'), '11')
    await flush()
    view!.unmount() // before the debounce
    view = null
    await until(() => expect(order).toEqual(['draft {"ex2":11}', 'release']))
  })

  it('signing out from the desk writes the pending draft, releases the lock, then signs out', async () => {
    const order: string[] = []
    mockFetch(
      deskRoutes({
        'PUT /api/copies/c1/draft': () => {
          order.push('draft')
          return json(200, { version: 1, updated_at: 'x' })
        },
        'DELETE /api/copies/c1/lock': () => {
          order.push('release')
          return empty(204)
        },
        'POST /api/logout': () => {
          order.push('logout')
          return empty(204)
        },
      }),
    )
    await openEditable()
    typeInto(scoreInput('ex2'), '11')
    await flush()
    await logout() // before the debounce
    expect(order).toEqual(['draft', 'release', 'logout'])
  })

  it('pagehide: the pending draft goes out with keepalive (the lock then expires by itself)', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openEditable()
    typeInto(scoreInput('q11'), '2')
    await flush()
    const keepalive = vi.mocked(fetch)
    window.dispatchEvent(new Event('pagehide'))
    await until(() => expect(calls(all, 'PUT', '/api/copies/c1/draft')).toHaveLength(1))
    const init = keepalive.mock.calls.find(([url, i]) => String(url).endsWith('/draft') && i?.method === 'PUT')![1]!
    expect(init.keepalive).toBe(true)
    expect(calls(all, 'DELETE', '/api/copies/c1/lock')).toHaveLength(0)
  })

  it('pagehide with nothing pending releases the lock with keepalive', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openEditable()
    window.dispatchEvent(new Event('pagehide'))
    await until(() => expect(calls(all, 'DELETE', '/api/copies/c1/lock')).toHaveLength(1))
    const init = vi.mocked(fetch).mock.calls.find(([, i]) => i?.method === 'DELETE')![1]!
    expect(init.keepalive).toBe(true)
    expect(new Headers(init.headers).get('X-Lock-Token')).toBe('lock-1')
  })

  it('409: read-only with the holder and the time, every tool disabled', async () => {
    const { calls: all } = mockFetch(
      deskRoutes({
        'GET /api/copies/c1': json(200, copyFixture({ status: 'LOCKED' })),
        'POST /api/copies/c1/lock': json(409, {
          error: { code: 'conflict', message: 'This copy is being graded by teacher2.' },
          holder: 'teacher2',
          expires_at: '2025-06-12T10:08:00Z',
        }),
      }),
    )
    await openDesk()
    await until(() => expect(q('readonly-banner').textContent).toContain('Being graded by'))
    expect(q('lock-holder').textContent).toBe('teacher2')
    const time = new Date('2025-06-12T10:08:00Z').toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
    expect(q('readonly-banner').textContent).toContain(`until ${time}`)
    for (const t of ['select', 'rect', 'ink', 'tick', 'cross', 'text']) {
      expect(q<HTMLButtonElement>(`tool-${t}`).disabled).toBe(true)
    }
    expect(q<HTMLButtonElement>('finalize-button').disabled).toBe(true)
    expect(scoreInput('q11').readOnly).toBe(true)
    expect(q<HTMLTextAreaElement>('appreciation-input').readOnly).toBe(true)
    // Pages can still be read.
    q('page-next').click()
    await flush()
    expect(q('page-counter').textContent).toBe('2 / 3')
    // No draft, no heartbeat, nothing to release.
    await vi.advanceTimersByTimeAsync(31_000)
    await flush()
    expect(calls(all, 'GET', '/api/copies/c1/draft')).toHaveLength(0)
    expect(calls(all, 'POST', '/api/copies/c1/lock/heartbeat')).toHaveLength(0)
    view!.unmount()
    view = null
    await flush()
    expect(calls(all, 'DELETE', '/api/copies/c1/lock')).toHaveLength(0)
  })

  it('a refused heartbeat turns the desk read-only ("Your lock expired") and stops the autosave', async () => {
    const { calls: all } = mockFetch(
      deskRoutes({ 'POST /api/copies/c1/lock/heartbeat': apiError(409, 'conflict', 'Your lock has expired; open the copy again.') }),
    )
    await openEditable()
    typeInto(scoreInput('q11'), '2')
    await vi.advanceTimersByTimeAsync(30_000)
    await until(() => expect(q('readonly-banner').textContent).toContain('Your lock expired'))
    expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(true)
    expect(scoreInput('q11').readOnly).toBe(true)
    await vi.advanceTimersByTimeAsync(5_000)
    await flush()
    expect(calls(all, 'PUT', '/api/copies/c1/draft')).toHaveLength(1) // the one saved before the beat
    typeInto(scoreInput('q11'), '3')
    await vi.advanceTimersByTimeAsync(5_000)
    await flush()
    expect(calls(all, 'PUT', '/api/copies/c1/draft')).toHaveLength(1)
  })
})

describe('grading desk: administrators', () => {
  it('reopen a graded copy with the reason its teacher then reads on the desk', async () => {
    let status = 'GRADED'
    const { calls: all } = mockFetch(
      deskRoutes({
        'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'csrf' }),
        'GET /api/copies/c1': () =>
          json(
            200,
            copyFixture(
              status === 'GRADED'
                ? { status, final_pdf_available: true }
                : { status, reopened: { reason: 'Q2 was marked on the wrong scale', at: '2025-06-12T10:00:00Z' } },
            ),
          ),
        'GET /api/copies/c1/final-pdf': json(200, { url: '/final.pdf', expires_in: 300 }),
        'POST /api/copies/c1/reopen': () => {
          status = 'READY'
          return json(200, { id: 'c1', status: 'READY' })
        },
      }),
    )
    await loadMe()
    await openDesk()
    await until(() => expect(q('readonly-banner').dataset.kind).toBe('graded'))
    expect(has('reopen-notice')).toBe(false)
    q('reopen-button').click()
    await flush()
    q<HTMLButtonElement>('reopen-submit').click()
    await flush()
    expect(q('reopen-error').textContent).toContain('Say why')
    expect(calls(all, 'POST', '/api/copies/c1/reopen')).toHaveLength(0)

    typeInto(q<HTMLInputElement>('reopen-reason'), 'Q2 was marked on the wrong scale')
    q<HTMLButtonElement>('reopen-submit').click()
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/reopen')).toHaveLength(1))
    expect(calls(all, 'POST', '/api/copies/c1/reopen')[0]!.body).toEqual({ reason: 'Q2 was marked on the wrong scale' })
    await until(() => expect(q('reopen-notice').textContent).toContain('Q2 was marked on the wrong scale'))
  })

  it('open a copy read-only and take the lock only on request', async () => {
    const { calls: all } = mockFetch(deskRoutes({ 'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'csrf' }) }))
    await loadMe()
    await openDesk()
    await until(() => expect(q('readonly-banner').dataset.kind).toBe('admin'))
    expect(calls(all, 'POST', '/api/copies/c1/lock')).toHaveLength(0)
    expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(true)
    q('take-lock').click()
    await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
    expect(calls(all, 'POST', '/api/copies/c1/lock')).toHaveLength(1)
    expect(has('readonly-banner')).toBe(false)
  })

  it('see who holds a locked copy, and may break the lock', async () => {
    const locked = copyFixture({
      status: 'LOCKED',
      lock: { holder_id: 't1', holder_name: 'teacher1', expires_at: '2025-06-12T10:07:00Z', mine: false },
    })
    const { calls: all } = mockFetch(deskRoutes({ 'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'csrf' }) }, locked))
    await loadMe()
    await openDesk()
    await until(() => expect(q('lock-holder').textContent).toBe('teacher1'))
    expect(q('readonly-banner').textContent).toContain('Being graded by teacher1')
    expect(calls(all, 'POST', '/api/copies/c1/lock')).toHaveLength(0)
    q('lock-break').click()
    await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
    const del = calls(all, 'DELETE', '/api/copies/c1/lock')
    expect(del).toHaveLength(1)
    expect(del[0]!.headers.get('X-Lock-Token')).toBeNull()
    expect(calls(all, 'POST', '/api/copies/c1/lock')).toHaveLength(1)
  })
})

describe('grading desk: scores and autosave', () => {
  it('shows subtotals and the total, and flags invalid values inline', async () => {
    mockFetch(deskRoutes())
    await openEditable()
    expect(q('score-total').textContent).toBe('0 / 20')
    const inputs = allByTestId<HTMLInputElement>(root(), 'score-input')
    expect(inputs.map((i) => i.dataset.nodeId)).toEqual(['q11', 'q12a', 'q12b', 'ex2'])
    expect(allByTestId(root(), 'remark-input')).toHaveLength(4)
    expect(root().textContent).toContain('/ 12')

    typeInto(scoreInput('q11'), '2,5')
    typeInto(scoreInput('q12a'), '2')
    typeInto(scoreInput('ex2'), '9.75')
    await flush()
    expect(q('score-total').textContent).toBe('14.25 / 20')
    const sub = (id: string) => root().querySelector(`[data-testid="score-subtotal"][data-node-id="${id}"]`)!.textContent!.trim()
    expect(sub('q12')).toBe('2 / 5')
    expect(sub('ex1')).toBe('4.5 / 8')

    typeInto(scoreInput('q12b'), '4')
    await flush()
    expect(scoreInput('q12b').getAttribute('aria-invalid')).toBe('true')
    expect(root().querySelector('[data-testid="score-error"][data-node-id="q12b"]')!.textContent).toContain('At most 3')
    expect(q('score-total').textContent).toBe('14.25 / 20')
    typeInto(scoreInput('q12b'), '1.1')
    await flush()
    expect(root().querySelector('[data-testid="score-error"][data-node-id="q12b"]')!.textContent).toContain('quarter points')

    // ↑ / ↓ step by 0.25 within the bounds.
    typeInto(scoreInput('q12b'), '2.75')
    press(scoreInput('q12b'), 'ArrowUp')
    await flush()
    expect(scoreInput('q12b').value).toBe('3')
    press(scoreInput('q12b'), 'ArrowUp')
    await flush()
    expect(scoreInput('q12b').value).toBe('3')
    expect(q('score-total').textContent).toBe('17.25 / 20')
  })

  it('autosaves the draft once, debounced, with the last state, version and tab id; 409 → conflict message', async () => {
    let conflict = false
    const { calls: all } = mockFetch(
      deskRoutes({
        'GET /api/copies/c1/draft': json(200, { version: 4, payload: null, updated_at: null, client_id: null }),
        'PUT /api/copies/c1/draft': (c) =>
          conflict
            ? apiError(409, 'conflict', 'This draft was saved by another window or session meanwhile; reload to continue.')
            : json(200, { version: (c.body as { version: number }).version + 1, updated_at: 'x' }),
      }),
    )
    await openEditable()
    expect(q('autosave-status').textContent).toBe('No changes yet')
    typeInto(scoreInput('q11'), '1')
    await flush()
    expect(q('autosave-status').textContent).toBe('Saving…')
    await vi.advanceTimersByTimeAsync(700)
    typeInto(scoreInput('q11'), '1.5')
    typeInto(remarkInput('q11'), 'Units missing')
    await vi.advanceTimersByTimeAsync(700)
    typeInto(q<HTMLTextAreaElement>('appreciation-input'), 'Serious work')
    await flush()
    expect(calls(all, 'PUT', '/api/copies/c1/draft')).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1500)
    await until(() => expect(q('autosave-status').textContent).toBe('Saved just now'))
    const puts = calls(all, 'PUT', '/api/copies/c1/draft')
    expect(puts).toHaveLength(1)
    expect(puts[0]!.body).toEqual({
      version: 4,
      client_id: 'tab-A',
      payload: { scores: { q11: 1.5 }, remarks: { q11: 'Units missing' }, appreciation: 'Serious work', scores_version: 0 },
    })
    expect(puts[0]!.headers.get('X-Lock-Token')).toBe('lock-1')
    await vi.advanceTimersByTimeAsync(3000)
    await flush()
    expect(q('autosave-status').textContent).toBe('Saved 3 s ago')

    // Another window wrote the draft: 409 → message, reload button, nothing overwritten.
    conflict = true
    typeInto(scoreInput('q11'), '2')
    await vi.advanceTimersByTimeAsync(1500)
    await until(() => expect(q('draft-conflict').textContent).toContain('This copy was changed in another window'))
    expect(calls(all, 'PUT', '/api/copies/c1/draft')).toHaveLength(2)
    expect((calls(all, 'PUT', '/api/copies/c1/draft')[1]!.body as { version: number }).version).toBe(5)
    expect(scoreInput('q11').readOnly).toBe(true)
    typeInto(scoreInput('q11'), '3')
    await vi.advanceTimersByTimeAsync(5000)
    await flush()
    expect(calls(all, 'PUT', '/api/copies/c1/draft')).toHaveLength(2)

    // Reload: fetches the copy and the draft again, keeps the lock.
    const copiesBefore = calls(all, 'GET', '/api/copies/c1').length
    q('conflict-reload').click()
    await until(() => expect(has('draft-conflict')).toBe(false))
    await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
    expect(calls(all, 'GET', '/api/copies/c1').length).toBe(copiesBefore + 1)
    expect(calls(all, 'DELETE', '/api/copies/c1/lock')).toHaveLength(0)
  })

  it('restores a draft that is newer than the saved scores', async () => {
    mockFetch(
      deskRoutes(
        {
          'GET /api/copies/c1/draft': json(200, {
            version: 9,
            payload: { scores: { q11: 3, ex2: 10 }, remarks: { ex2: 'Good' }, appreciation: 'Nice', scores_version: 2 },
            updated_at: '2025-06-12T09:59:00Z',
            client_id: 'tab-B',
          }),
        },
        copyFixture({
          status: 'LOCKED',
          scores: { scores: { q11: 1 }, remarks: {}, appreciation: '', total: 1, version: 2 },
        }),
      ),
    )
    await openEditable()
    expect(scoreInput('q11').value).toBe('3')
    expect(scoreInput('ex2').value).toBe('10')
    expect(remarkInput('ex2').value).toBe('Good')
    expect(q<HTMLTextAreaElement>('appreciation-input').value).toBe('Nice')
    expect(q('score-total').textContent).toBe('13 / 20')
    expect(q('draft-restored').textContent).toContain('Restored from the autosaved draft')
  })

  it('keeps the saved scores when the draft is older', async () => {
    mockFetch(
      deskRoutes(
        {
          'GET /api/copies/c1/draft': json(200, {
            version: 3,
            payload: { scores: { q11: 3 }, remarks: {}, appreciation: '', scores_version: 1 },
            updated_at: 'x',
            client_id: 'tab-B',
          }),
        },
        copyFixture({ scores: { scores: { q11: 1 }, remarks: {}, appreciation: '', total: 1, version: 2 } }),
      ),
    )
    await openEditable()
    expect(scoreInput('q11').value).toBe('1')
    expect(has('draft-restored')).toBe(false)
  })
})

describe('grading desk: keyboard', () => {
  it('switches tools and pages from the keyboard, but not while typing', async () => {
    const { calls: all } = mockFetch(
      deskRoutes({
        'PUT /api/copies/c1/scores': (c) => json(200, { ...(c.body as object), total: 2, max: 20, version: 1 }),
      }),
    )
    await openEditable()
    const pressed = (t: string) => q(`tool-${t}`).getAttribute('aria-pressed')
    expect(pressed('select')).toBe('true')
    press(document.body, 'r')
    await flush()
    expect(pressed('rect')).toBe('true')
    press(document.body, 'i')
    await flush()
    expect(pressed('ink')).toBe('true')

    // Typing in a remark, a score or the appreciation: letters are text.
    for (const field of [remarkInput('q11'), scoreInput('q11'), q('appreciation-input')]) {
      for (const k of ['r', 'v', 'x', 't', 's', 'n', 'ArrowRight', 'Delete']) press(field, k)
    }
    await flush()
    expect(pressed('ink')).toBe('true')
    expect(q('page-counter').textContent).toBe('1 / 3')

    press(document.body, 'ArrowRight')
    press(document.body, 'PageDown')
    await flush()
    expect(q('page-counter').textContent).toBe('3 / 3')
    press(document.body, 'ArrowRight')
    await flush()
    expect(q('page-counter').textContent).toBe('3 / 3')
    press(document.body, 'PageUp')
    await flush()
    expect(q('page-counter').textContent).toBe('2 / 3')
    expect(q<HTMLImageElement>('page-image').getAttribute('src')).toBe('/img/c1/1.jpg')

    // Escape goes back to the select tool.
    press(document.body, 'Escape')
    await flush()
    expect(pressed('select')).toBe('true')

    // "?" toggles the help.
    expect(has('shortcuts-help')).toBe(false)
    press(document.body, '?')
    await flush()
    expect(q('shortcuts-help').textContent).toContain('Keyboard shortcuts')
    press(document.body, '?')
    await flush()
    expect(has('shortcuts-help')).toBe(false)

    // "n" focuses the next question's score.
    press(document.body, 'n')
    await flush()
    expect(document.activeElement).toBe(scoreInput('q11'))
    press(document.body, 'n')
    await flush()
    expect(document.activeElement).toBe(scoreInput('q12a'))

    // Ctrl+S works even inside a field: PUT /scores now, with the lock token.
    typeInto(scoreInput('q12a'), '2')
    const save = new KeyboardEvent('keydown', { key: 's', ctrlKey: true, bubbles: true, cancelable: true })
    scoreInput('q12a').dispatchEvent(save)
    expect(save.defaultPrevented).toBe(true)
    await until(() => expect(calls(all, 'PUT', '/api/copies/c1/scores')).toHaveLength(1))
    const put = calls(all, 'PUT', '/api/copies/c1/scores')[0]!
    expect(put.body).toEqual({ scores: { q12a: 2 }, remarks: {}, appreciation: '', version: 0 })
    expect(put.headers.get('X-Lock-Token')).toBe('lock-1')
    await until(() => expect(q('scores-message').textContent).toContain('Scores saved'))
  })
})

describe('grading desk: annotations', () => {
  it('posts each finished annotation in page units, deletes with the version', async () => {
    let seq = 0
    const { calls: all } = mockFetch(
      deskRoutes({
        'POST /api/copies/c1/annotations': (c) => json(201, { id: `a${++seq}`, version: 1, ...(c.body as object) }),
        'DELETE /api/copies/c1/annotations/a2': empty(204),
        'POST /api/bank/b1/use': json(200, { id: 'b1' }),
        'GET /api/bank': json(200, { comments: [{ id: 'b1', text: 'Justify your answer', usage_count: 2 }] }),
      }),
    )
    await openEditable()
    const canvas = q('annotation-canvas')
    // The page (1000 × 1414) is shown 800 px wide in tests: 80 px = 0.1.
    press(document.body, 'r')
    await flush()
    canvas.dispatchEvent(pointer('pointerdown', 80, 113.1))
    canvas.dispatchEvent(pointer('pointermove', 200, 300))
    canvas.dispatchEvent(pointer('pointerup', 400, 565.5))
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/annotations')).toHaveLength(1))
    const rect = calls(all, 'POST', '/api/copies/c1/annotations')[0]!
    expect(rect.body).toEqual({ page_index: 0, type: 'rect', geometry: { x: 0.1, y: 0.1, w: 0.4, h: 0.4 } })
    expect(rect.headers.get('X-Lock-Token')).toBe('lock-1')

    press(document.body, 'v')
    await flush()
    canvas.dispatchEvent(pointer('pointerdown', 400, 565.5))
    canvas.dispatchEvent(pointer('pointerup', 400, 565.5))
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/annotations')).toHaveLength(2))
    expect(calls(all, 'POST', '/api/copies/c1/annotations')[1]!.body).toEqual({
      page_index: 0,
      type: 'tick',
      geometry: { x: 0.5, y: 0.5 },
    })

    // A comment from the bank in one click, placed (and saved) by the next click on the page.
    q<HTMLButtonElement>('bank-comment').click()
    await flush()
    expect(q('tool-text').getAttribute('aria-pressed')).toBe('true')
    expect(q('bank-pending').textContent).toContain('Justify your answer')
    canvas.dispatchEvent(pointer('pointerdown', 160, 226.2))
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/annotations')).toHaveLength(3))
    expect(has('text-input')).toBe(false)
    expect(calls(all, 'POST', '/api/copies/c1/annotations')[2]!.body).toEqual({
      page_index: 0,
      type: 'text',
      geometry: { x: 0.2, y: 0.2 },
      text: 'Justify your answer',
    })
    await until(() => expect(calls(all, 'POST', '/api/bank/b1/use')).toHaveLength(1))

    // Select the tick and delete it with the Delete key.
    press(document.body, 's')
    await flush()
    canvas.dispatchEvent(pointer('pointerdown', 400, 565.5))
    canvas.dispatchEvent(pointer('pointerup', 400, 565.5))
    await flush()
    expect(q('selection-panel').textContent).toContain('Tick selected')
    press(document.body, 'Delete')
    await until(() => expect(calls(all, 'DELETE', '/api/copies/c1/annotations/a2')).toHaveLength(1))
    expect(calls(all, 'DELETE', '/api/copies/c1/annotations/a2')[0]!.url).toContain('version=1')
    await until(() => expect(allByTestId(root(), 'annotation-item').map((b) => b.dataset.type)).toEqual(['rect', 'text']))
  })

  it('a stale edit (409) reloads the annotations and says so', async () => {
    const existing = { id: 'a1', page_index: 0, type: 'text', geometry: { x: 0.5, y: 0.5 }, text: 'Good', version: 1 }
    const reloaded = { ...existing, version: 3, text: 'Very good' }
    let gets = 0
    mockFetch(
      deskRoutes({
        'GET /api/copies/c1': () => json(200, copyFixture({ annotations: ++gets === 1 ? [existing] : [reloaded] })),
        'PATCH /api/copies/c1/annotations/a1': apiError(409, 'conflict', 'The annotation was changed meanwhile; reload it.'),
      }),
    )
    await openEditable()
    q('annotation-item').click()
    await flush()
    const text = q<HTMLInputElement>('selection-text')
    typeInto(text, 'Fine')
    text.dispatchEvent(new Event('change', { bubbles: true }))
    await until(() => expect(q('annotation-message').textContent).toContain('reloaded'))
    await until(() => expect(q<HTMLInputElement>('selection-text').value).toBe('Very good'))
    // Annotations carry no points: no score delta anywhere on the desk.
    expect(has('annotation-delta')).toBe(false)
    expect(q('selection-panel').textContent).not.toMatch(/delta/i)
  })
})

describe('grading desk: finalise', () => {
  const FULL = { q11: '3', q12a: '1.5', q12b: '2', ex2: '10' }

  it('lists unscored questions, then PUT scores → finalize → polls the status route until GRADED → download link, read-only', async () => {
    let status = 'GRADING_IN_PROGRESS'
    let gets = 0
    const order: string[] = []
    const { calls: all } = mockFetch(
      deskRoutes({
        'GET /api/copies/c1': () => {
          gets += 1
          return json(200, copyFixture({ status: 'READY' }))
        },
        'GET /api/copies/c1/status': () => {
          gets += 1
          const { id, exam_id, lock, grading_error, grading_attempts } = copyFixture({})
          return json(200, { id, exam_id, lock, grading_error, grading_attempts, status, final_pdf_available: status === 'GRADED', version: 3, updated_at: '2025-06-12T10:00:00Z' })
        },
        'PUT /api/copies/c1/scores': (c) => {
          order.push('scores')
          return json(200, { ...(c.body as object), total: 16.5, max: 20, version: 1 })
        },
        'POST /api/copies/c1/finalize': () => {
          order.push('finalize')
          return json(202, { status: 'GRADING_IN_PROGRESS' })
        },
        'GET /api/copies/c1/final-pdf': json(200, { url: 'https://s3.test/final/c1.pdf?sig=1', expires_in: 300 }),
      }),
    )
    await openEditable()
    typeInto(scoreInput('q11'), FULL.q11)
    await flush()
    q('finalize-button').click()
    await flush()
    const dialog = q('finalize-confirm')
    expect(dialog.getAttribute('role')).toBe('dialog')
    expect(allByTestId(root(), 'finalize-missing').map((li) => li.dataset.nodeId)).toEqual(['q12a', 'q12b', 'ex2'])
    expect(q<HTMLButtonElement>('finalize-submit').disabled).toBe(true)
    press(document.body, 'Escape')
    await flush()
    expect(has('finalize-confirm')).toBe(false)

    for (const [id, v] of Object.entries(FULL)) typeInto(scoreInput(id), v)
    await flush()
    q('finalize-button').click()
    await flush()
    expect(allByTestId(root(), 'finalize-missing')).toHaveLength(0)
    expect(q('finalize-confirm').textContent).toContain('16.5 / 20')
    q('finalize-submit').click()
    await until(() => expect(q('copy-status').dataset.status).toBe('GRADING_IN_PROGRESS'))
    expect(order).toEqual(['scores', 'finalize'])
    expect(calls(all, 'PUT', '/api/copies/c1/scores')[0]!.body).toEqual({
      scores: { q11: 3, q12a: 1.5, q12b: 2, ex2: 10 },
      remarks: {},
      appreciation: '',
      version: 0,
    })
    expect(calls(all, 'POST', '/api/copies/c1/finalize')[0]!.headers.get('X-Lock-Token')).toBe('lock-1')
    expect(has('finalize-confirm')).toBe(false)
    expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(true)

    // Polling the status route (no page URLs) every 1.5 s until GRADED.
    expect(gets).toBe(1)
    await vi.advanceTimersByTimeAsync(1500)
    await until(() => expect(gets).toBe(2))
    expect(q('copy-status').dataset.status).toBe('GRADING_IN_PROGRESS')
    status = 'GRADED'
    await vi.advanceTimersByTimeAsync(1500)
    await until(() => expect(q('copy-status').dataset.status).toBe('GRADED'))
    await until(() => expect(q<HTMLAnchorElement>('final-pdf-link').getAttribute('href')).toBe('https://s3.test/final/c1.pdf?sig=1'))
    expect(q('readonly-banner').dataset.kind).toBe('graded')
    expect(scoreInput('q11').readOnly).toBe(true)
    await vi.advanceTimersByTimeAsync(6000)
    await flush()
    expect(gets).toBe(3) // polling stopped
    expect(calls(all, 'GET', '/api/copies/c1/status')).toHaveLength(2)

    // The lock was consumed by finalising: no heartbeat, no release.
    await vi.advanceTimersByTimeAsync(30_000)
    await flush()
    expect(calls(all, 'POST', '/api/copies/c1/lock/heartbeat')).toHaveLength(0)
    view!.unmount()
    view = null
    await flush()
    expect(calls(all, 'DELETE', '/api/copies/c1/lock')).toHaveLength(0)
  })

  it('shows the server 422 missing list', async () => {
    mockFetch(
      deskRoutes({
        'PUT /api/copies/c1/scores': (c) => json(200, { ...(c.body as object), total: 16.5, max: 20, version: 1 }),
        'POST /api/copies/c1/finalize': json(422, {
          error: { code: 'unprocessable', message: 'Every question needs a score before finalising.' },
          missing: ['q12b'],
        }),
      }),
    )
    await openEditable()
    for (const [id, v] of Object.entries(FULL)) typeInto(scoreInput(id), v)
    await flush()
    q('finalize-button').click()
    await flush()
    q('finalize-submit').click()
    await until(() => expect(q('finalize-server-missing').textContent).toContain('b)'))
    expect(q('finalize-server-missing').querySelector('[data-node-id="q12b"]')).not.toBeNull()
    expect(q('copy-status').dataset.status).toBe('LOCKED')
  })

  it('GRADING_FAILED shows the reason and retries', async () => {
    let status = 'GRADING_FAILED'
    const { calls: all } = mockFetch(
      deskRoutes({
        'GET /api/copies/c1': () => json(200, copyFixture({ status, grading_error: 'Render crashed: page 2 image missing.' })),
        'GET /api/copies/c1/status': () => json(200, { ...copyFixture({ status }), grading_error: null }),
        'POST /api/copies/c1/retry': () => {
          status = 'GRADED'
          return json(202, { status: 'GRADING_IN_PROGRESS' })
        },
        'GET /api/copies/c1/final-pdf': json(200, { url: '/final.pdf', expires_in: 300 }),
      }),
    )
    await openDesk()
    await until(() => expect(q('grading-error').textContent).toContain('page 2 image missing'))
    expect(calls(all, 'POST', '/api/copies/c1/lock')).toHaveLength(0)
    q('retry-button').click()
    await until(() => expect(q('copy-status').dataset.status).toBe('GRADING_IN_PROGRESS'))
    await vi.advanceTimersByTimeAsync(1500)
    await until(() => expect(q('copy-status').dataset.status).toBe('GRADED'))
    await until(() => expect(q('final-pdf-link').getAttribute('href')).toBe('/final.pdf'))
  })
})

describe('grading desk: finalise and next', () => {
  const FULL = { q11: '3', q12a: '1,5', q12b: '2', ex2: '10' }
  const listed = (id: string, anonymous_id: string, status = 'READY', exam_id = 'ex1'): TeacherCopy => ({
    id,
    exam_id,
    exam_name: 'Maths — June',
    anonymous_id,
    status: status as TeacherCopy['status'],
    page_count: 3,
    updated_at: null,
  })

  it('picks the next READY copy of the same exam in anonymous-id order, wrapping around', () => {
    const copies = [
      listed('c3', '7F3A-003'),
      listed('c1', '7F3A-001', 'LOCKED'),
      listed('c0', '7F3A-000'),
      listed('c2', '7F3A-002', 'GRADED'),
      listed('c10', '7F3A-010'),
      listed('x1', '7F3A-002', 'READY', 'other-exam'),
      listed('c4', '7F3A-004', 'LOCKED'),
    ]
    const current = { id: 'c1', exam_id: 'ex1', anonymous_id: '7F3A-001' }
    expect(nextReadyCopy(copies, current)?.id).toBe('c3')
    expect(nextReadyCopy(copies, { ...current, id: 'c3', anonymous_id: '7F3A-003' })?.id).toBe('c10')
    expect(nextReadyCopy(copies, { ...current, id: 'c10', anonymous_id: '7F3A-010' })?.id).toBe('c0') // wraps
    expect(nextReadyCopy([listed('c1', '7F3A-001')], current)).toBeNull()
  })

  async function fill(): Promise<void> {
    for (const [id, v] of Object.entries(FULL)) typeInto(scoreInput(id), v)
    await flush()
  }

  function finaliseRoutes(remaining: TeacherCopy[]) {
    return deskRoutes({
      'PUT /api/copies/c1/scores': (c) => json(200, { ...(c.body as object), total: 16.5, max: 20, version: 1 }),
      'POST /api/copies/c1/finalize': json(202, { status: 'GRADING_IN_PROGRESS' }),
      'GET /api/copies/c1/status': json(200, { ...copyFixture({ status: 'GRADING_IN_PROGRESS' }), final_pdf_available: false }),
      'GET /api/teacher/copies': json(200, { copies: remaining }),
      'GET /api/copies/c2': json(200, copyFixture({ id: 'c2', anonymous_id: '7F3A-002' })),
      'POST /api/copies/c2/lock': json(201, { token: 'lock-2', expires_at: '2025-06-12T10:10:00Z' }),
      'DELETE /api/copies/c2/lock': empty(204),
      'GET /api/copies/c2/draft': json(200, { version: 0, payload: null, updated_at: null, client_id: null }),
    })
  }

  it('Ctrl+Enter from a score field: confirm with Enter, finalise, then the next READY copy opens', async () => {
    const { calls: all } = mockFetch(
      finaliseRoutes([listed('c1', '7F3A-001', 'LOCKED'), listed('c2', '7F3A-002'), listed('c9', '7F3A-009', 'GRADED')]),
    )
    view = await mountAt('/teacher/copies/c1', 'fr')
    await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
    await fill()
    expect(q('score-total').textContent).toBe('16,5 / 20')
    const shortcut = new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true, cancelable: true })
    scoreInput('ex2').dispatchEvent(shortcut)
    expect(shortcut.defaultPrevented).toBe(true)
    await flush()
    expect(q('finalize-confirm').textContent).toContain('La copie suivante non corrigée s’ouvre ensuite.')
    expect(document.activeElement).toBe(q('finalize-submit'))
    expect(q('finalize-submit').textContent).toContain('Finaliser et passer à la suivante')
    q('finalize-submit').click()
    await until(() => expect(view!.router.currentRoute.value.fullPath).toBe('/teacher/copies/c2'))
    await until(() => expect(q('desk-anonymous-id').textContent).toBe('7F3A-002'))
    await until(() => expect(calls(all, 'POST', '/api/copies/c2/lock')).toHaveLength(1))
    expect(calls(all, 'PUT', '/api/copies/c1/scores')[0]!.body).toMatchObject({ scores: { q11: 3, q12a: 1.5, q12b: 2, ex2: 10 } })
    expect(calls(all, 'POST', '/api/copies/c1/finalize')).toHaveLength(1)
    // The finalised copy's lock was consumed: never released.
    expect(calls(all, 'DELETE', '/api/copies/c1/lock')).toHaveLength(0)
  })

  it('none left: back to the dashboard, which says so', async () => {
    mockFetch(finaliseRoutes([listed('c1', '7F3A-001', 'GRADING_IN_PROGRESS'), listed('c9', '7F3A-009', 'GRADED')]))
    view = await mountAt('/teacher/copies/c1', 'fr')
    await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
    await fill()
    q('finalize-next-button').click()
    await flush()
    q('finalize-submit').click()
    await until(() => expect(view!.router.currentRoute.value.fullPath).toBe('/teacher?allGraded=ex1'))
    await until(() => expect(q('teacher-all-graded').textContent).toContain('Plus aucune copie à corriger dans « Maths — June »'))
  })

  it('"Next ungraded copy" (Shift+N) saves the draft, releases the lock and opens the next one', async () => {
    const order: string[] = []
    mockFetch({
      ...finaliseRoutes([listed('c1', '7F3A-001', 'LOCKED'), listed('c2', '7F3A-002')]),
      'PUT /api/copies/c1/draft': () => {
        order.push('draft')
        return json(200, { version: 1, updated_at: 'x' })
      },
      'DELETE /api/copies/c1/lock': () => {
        order.push('release')
        return empty(204)
      },
    })
    view = await mountAt('/teacher/copies/c1')
    await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
    typeInto(scoreInput('q11'), '2')
    await flush()
    press(document.body, 'N')
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'N', shiftKey: true, bubbles: true, cancelable: true }))
    await until(() => expect(view!.router.currentRoute.value.fullPath).toBe('/teacher/copies/c2'))
    await until(() => expect(order).toEqual(['draft', 'release']))
  })
})

describe('grading desk: keyboard in the score sheet', () => {
  it('Enter and Tab move question to question, Shift+Tab back, letters never go in, Esc returns to the page', async () => {
    mockFetch(deskRoutes())
    await openEditable()
    scoreInput('q11').focus()
    press(scoreInput('q11'), 'Enter')
    expect(document.activeElement).toBe(scoreInput('q12a'))
    press(scoreInput('q12a'), 'Tab')
    expect(document.activeElement).toBe(scoreInput('q12b'))
    const back = new KeyboardEvent('keydown', { key: 'Tab', shiftKey: true, bubbles: true, cancelable: true })
    scoreInput('q12b').dispatchEvent(back)
    expect(back.defaultPrevented).toBe(true)
    expect(document.activeElement).toBe(scoreInput('q12a'))
    // The last question's Enter goes on to the appreciation.
    scoreInput('ex2').focus()
    press(scoreInput('ex2'), 'Enter')
    expect(document.activeElement).toBe(q('appreciation-input'))

    // A tool letter typed in a score is neither a tool nor text.
    for (const k of ['r', 'x', 'v']) expect(press(scoreInput('q11'), k).defaultPrevented).toBe(true)
    expect(press(scoreInput('q11'), '5').defaultPrevented).toBe(false)
    expect(press(scoreInput('q11'), ',').defaultPrevented).toBe(false)
    await flush()
    expect(q('tool-select').getAttribute('aria-pressed')).toBe('true')

    // Esc leaves the field: the page has the focus, and letters are tools again.
    scoreInput('q11').focus()
    press(scoreInput('q11'), 'Escape')
    expect(document.activeElement).toBe(q('page-scroll'))
    press(document.activeElement!, 'x')
    await flush()
    expect(q('tool-cross').getAttribute('aria-pressed')).toBe('true')
  })

  it('accepts "12,5" and "12.5" and shows points with a comma in French', async () => {
    mockFetch(deskRoutes())
    view = await mountAt('/teacher/copies/c1', 'fr')
    await until(() => expect(q<HTMLButtonElement>('tool-rect').disabled).toBe(false))
    typeInto(scoreInput('ex2'), '10,5')
    typeInto(scoreInput('q11'), '2.25')
    await flush()
    expect(q('score-total').textContent).toBe('12,75 / 20')
    expect(has('score-error')).toBe(false)
    expect(q('desk-toolbar').textContent).toContain('Coche')
    expect(q('finalize-next-button').textContent).toContain('Finaliser et suivante')
  })
})

describe('grading desk: undo and redo', () => {
  it('Ctrl+Z undoes a deletion (created again), then the creation; Ctrl+Shift+Z redoes', async () => {
    let seq = 0
    const { calls: all } = mockFetch(
      deskRoutes({
        'POST /api/copies/c1/annotations': (c) => json(201, { id: `a${++seq}`, version: 1, ...(c.body as object) }),
        'DELETE /api/copies/c1/annotations/a1': empty(204),
        'DELETE /api/copies/c1/annotations/a2': empty(204),
      }),
    )
    await openEditable()
    const canvas = q('annotation-canvas')
    press(document.body, 'v')
    await flush()
    canvas.dispatchEvent(pointer('pointerdown', 400, 565.5))
    canvas.dispatchEvent(pointer('pointerup', 400, 565.5))
    await until(() => expect(allByTestId(root(), 'annotation-item')).toHaveLength(1))
    press(document.body, 's')
    await flush()
    q('annotation-item').click()
    await flush()
    press(document.body, 'Delete')
    await until(() => expect(allByTestId(root(), 'annotation-item')).toHaveLength(0))

    const ctrl = (key: string, shiftKey = false) =>
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key, ctrlKey: true, shiftKey, bubbles: true, cancelable: true }))
    ctrl('z') // undo the deletion: the tick comes back (a new id)
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/annotations')).toHaveLength(2))
    expect(calls(all, 'POST', '/api/copies/c1/annotations')[1]!.body).toEqual({ page_index: 0, type: 'tick', geometry: { x: 0.5, y: 0.5 } })
    await until(() => expect(allByTestId(root(), 'annotation-item').map((b) => b.dataset.annotationId)).toEqual(['a2']))
    ctrl('z') // undo the creation: the new copy of it goes
    await until(() => expect(calls(all, 'DELETE', '/api/copies/c1/annotations/a2')).toHaveLength(1))
    await until(() => expect(allByTestId(root(), 'annotation-item')).toHaveLength(0))
    ctrl('z', true) // redo the creation
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/annotations')).toHaveLength(3))
    await until(() => expect(allByTestId(root(), 'annotation-item')).toHaveLength(1))
  })
})

describe('grading desk: comment bank and band', () => {
  it('number keys insert the nth comment with the text tool; a selected annotation gets it beside it', async () => {
    let seq = 0
    const { calls: all } = mockFetch(
      deskRoutes({
        'GET /api/bank': json(200, {
          comments: [
            { id: 'b1', text: 'Justify', usage_count: 0 },
            { id: 'b2', text: 'Units!', usage_count: 0 },
          ],
        }),
        'POST /api/copies/c1/annotations': (c) => json(201, { id: `a${++seq}`, version: 1, ...(c.body as object) }),
        'POST /api/bank/b2/use': json(200, {}),
        'POST /api/bank/b1/use': json(200, {}),
      }),
    )
    await openEditable()
    await until(() => expect(allByTestId(root(), 'bank-comment')).toHaveLength(2))
    press(document.body, '2') // not the text tool: nothing
    await flush()
    expect(has('bank-pending')).toBe(false)
    press(document.body, 't')
    await flush()
    press(document.body, '2')
    await flush()
    expect(q('bank-pending').textContent).toContain('Units!')
    q('annotation-canvas').dispatchEvent(pointer('pointerdown', 80, 113.1))
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/annotations')).toHaveLength(1))
    expect(calls(all, 'POST', '/api/copies/c1/annotations')[0]!.body).toEqual({ page_index: 0, type: 'text', geometry: { x: 0.1, y: 0.1 }, text: 'Units!' })
    await until(() => expect(calls(all, 'POST', '/api/bank/b2/use')).toHaveLength(1))

    // Select the comment, then one click on a bank comment: placed beside it at once.
    press(document.body, 's')
    await flush()
    q('annotation-item').click()
    await flush()
    allByTestId<HTMLButtonElement>(root(), 'bank-comment')[0]!.click()
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/annotations')).toHaveLength(2))
    expect(calls(all, 'POST', '/api/copies/c1/annotations')[1]!.body).toMatchObject({ type: 'text', text: 'Justify', geometry: { x: 0.13, y: 0.1 } })
  })

  it('folds the masked band of the first page (remembered), and "f" fits the width', async () => {
    window.localStorage.removeItem('korrigo.desk.bandCollapsed')
    mockFetch(deskRoutes())
    await openEditable()
    const pageBox = () => root().querySelector<HTMLElement>('.viewer__page')!
    // Folded by default: the page is 1131 px high at 800 px wide, its top quarter (283 px) is hidden.
    expect(pageBox().style.height).toBe('848px')
    q('band-toggle').click()
    await flush()
    expect(pageBox().style.height).toBe('1131px')
    expect(window.localStorage.getItem('korrigo.desk.bandCollapsed')).toBe('false')
    press(document.body, 'b')
    await flush()
    expect(pageBox().style.height).toBe('848px')
    press(document.body, 'ArrowRight')
    await flush()
    expect(has('band-toggle')).toBe(false) // the band is on the first page only
    q('zoom-in').click()
    await flush()
    expect(q('zoom-fit').textContent).toContain('125')
    press(document.body, 'f')
    await flush()
    expect(q('zoom-fit').textContent).toContain('100')
  })
})

describe('teacher dashboard', () => {
  it('groups my copies by exam, with counts, status and grade links', async () => {
    vi.useRealTimers()
    mockFetch({
      'GET /api/teacher/copies': json(200, {
        copies: [
          { id: 'c2', exam_id: 'e1', exam_name: 'Maths', anonymous_id: 'A-002', status: 'GRADED', page_count: 4, updated_at: '2025-06-12T10:00:00Z' },
          { id: 'c1', exam_id: 'e1', exam_name: 'Maths', anonymous_id: 'A-001', status: 'READY', page_count: 4, updated_at: null },
          { id: 'c9', exam_id: 'e2', exam_name: 'History', anonymous_id: 'H-010', status: 'LOCKED', page_count: 2, updated_at: null, reopened: { reason: 'Recount Q1', at: '2025-06-12T09:00:00Z' } },
        ],
      }),
    })
    view = await mountAt('/teacher')
    await vi.waitFor(() => expect(allByTestId(root(), 'teacher-copy-row')).toHaveLength(3))
    expect(allByTestId(root(), 'teacher-exam').map((s) => s.dataset.examName)).toEqual(['History', 'Maths'])
    const rows = allByTestId(root(), 'teacher-copy-row')
    expect(rows.map((r) => [r.dataset.anonymousId, r.dataset.status])).toEqual([
      ['H-010', 'LOCKED'],
      ['A-001', 'READY'],
      ['A-002', 'GRADED'],
    ])
    expect(allByTestId(root(), 'teacher-copy-reopened').map((p) => p.textContent?.trim())).toEqual(['Reopened: Recount Q1'])
    expect(q('teacher-count-to-grade').textContent).toBe('2')
    expect(q('teacher-count-graded').textContent).toBe('1')
    const links = allByTestId<HTMLAnchorElement>(root(), 'grade-link')
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['/teacher/copies/c9', '/teacher/copies/c1', '/teacher/copies/c2'])
    expect(links.map((a) => a.textContent!.trim())).toEqual(['Grade', 'Grade', 'View'])
    expect(root().textContent).not.toMatch(/@|student/i)
  })
})
