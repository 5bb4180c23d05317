/**
 * Regrade requests in the SPA, in French: a student files a request on one question of a released
 * copy while the window is open and then reads the answer and the new score (the page's total is
 * asked again); a teacher answers from the queue, with the question's rubric items (a click or their
 * number key) or, in copy mode, a score typed "2,5"; an admin sees an exam's requests and sets the
 * window.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { openRegradeCount } from '../src/composables/useRegrades'
import { loadMe, logout, resetSessionState } from '../src/stores/session'
import { apiError, empty, json, mockFetch, staffAdmin, student } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, press, type Mounted } from './mount'

let view: Mounted | null = null
const root = () => view!.root
const text = (el: Element) => el.textContent!.replace(/\s+/g, ' ').trim()
const cells = (row: Element) => [...row.querySelectorAll('td')].map(text)

const teacher = { id: 't1', username: 'tess', email: 'tess@school.test', role: 'teacher' as const, must_change_password: false, kind: 'staff' as const }

/** Types into an input or a textarea (as `input` events). */
function typeInto(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  el.value = value
  el.dispatchEvent(new Event('input', { bubbles: true }))
}

function select(el: HTMLSelectElement, value: string): void {
  el.value = value
  el.dispatchEvent(new Event('change', { bubbles: true }))
}

function resultFixture(overrides: Record<string, unknown> = {}) {
  return {
    id: 'c1',
    exam_id: 'ex1',
    exam_name: 'Maths — juin',
    subject: 'Mathématiques',
    date: '2025-06-12',
    anonymous_id: '7F3A-001',
    total: 14.5,
    max_points: 20,
    questions: [
      { id: 'q1', label: 'Exercice 1 — a', score: 3, max_points: 5, remark: '' },
      { id: 'q2', label: 'Exercice 1 — b', score: 4, max_points: 5, remark: '' },
    ],
    appreciation: '',
    released_at: '2025-06-20T08:00:00Z',
    ...overrides,
  }
}

function requestFixture(overrides: Record<string, unknown> = {}) {
  return {
    copy_id: 'c1',
    exam_id: 'ex1',
    exam_name: 'Maths — juin',
    anonymous_id: '7F3A-001',
    question_id: 'q1',
    question_label: 'Exercice 1 — a',
    status: 'OPEN',
    message: 'Ma méthode était juste.',
    answer: null,
    score_before: null,
    score_after: null,
    answered_by_name: null,
    created_at: '2025-06-21T09:30:00Z',
    answered_at: null,
    version: 1,
    ...overrides,
  }
}

const answeredFixture = (overrides: Record<string, unknown> = {}) =>
  requestFixture({
    status: 'ANSWERED',
    answer: 'Vous avez raison, la méthode compte.',
    score_before: 3,
    score_after: 4.5,
    answered_by_name: 'tess',
    answered_at: '2025-06-22T10:00:00Z',
    version: 2,
    ...overrides,
  })

function mine(overrides: Record<string, unknown> = {}) {
  return {
    window_closes_at: '2025-06-27T08:00:00Z',
    can_request: true,
    questions: [
      { id: 'q1', label: 'Exercice 1 — a', score: 3, max_points: 5 },
      { id: 'q2', label: 'Exercice 1 — b', score: 4, max_points: 5 },
    ],
    requests: [],
    ...overrides,
  }
}

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
  vi.stubGlobal('scrollTo', vi.fn())
  openRegradeCount.value = null
})

afterEach(() => {
  view?.unmount()
  view = null
  vi.useRealTimers()
  vi.unstubAllGlobals()
  resetClientState()
  resetSessionState()
})

describe('a student asks for a regrade', () => {
  it('files a request on one question, in French, and sees it pending', async () => {
    let requests: unknown[] = []
    const { calls } = mockFetch({
      'GET /api/me': json(200, { user: student, csrf_token: 'tok' }),
      'GET /api/students/me/copies/c1': json(200, resultFixture()),
      'GET /api/students/me/copies/c1/regrades': () => json(200, mine({ requests })),
      'POST /api/students/me/copies/c1/regrades': (call) => {
        const created = requestFixture({ message: (call.body as { message: string }).message })
        requests = [created]
        return json(201, created)
      },
    })
    await loadMe()
    view = await mountAt('/student/results/c1', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-form'))
    expect(text(byTestId(root(), 'regrades'))).toContain('Demander une révision')
    expect(text(byTestId(root(), 'regrade-window'))).toMatch(/^Vous pouvez demander la révision d’une question jusqu’au 27 juin 2025/)
    expect(text(byTestId(root(), 'regrade-none'))).toBe('Vous n’avez fait aucune demande de révision pour cette copie.')
    const options = [...byTestId<HTMLSelectElement>(root(), 'regrade-question').options].map((o) => o.textContent!.trim())
    expect(options).toEqual(['Choisissez une question', 'Exercice 1 — a — 3 / 5', 'Exercice 1 — b — 4 / 5'])

    select(byTestId(root(), 'regrade-question'), 'q1')
    typeInto(byTestId(root(), 'regrade-message'), '  Ma méthode était juste.  ')
    byTestId<HTMLButtonElement>(root(), 'regrade-send').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-sent'))
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.url).toBe('/api/students/me/copies/c1/regrades')
    expect(post.body).toEqual({ question_id: 'q1', message: 'Ma méthode était juste.' })
    expect(post.headers.get('X-CSRF-Token')).toBe('tok')
    const item = byTestId(root(), 'regrade-item')
    expect(item.dataset.status).toBe('OPEN')
    expect(text(byTestId(item, 'regrade-status'))).toBe('En attente')
    expect(text(byTestId(item, 'regrade-item-message'))).toBe('Ma méthode était juste.')
    // One open request per question: the question cannot be chosen again.
    const q1 = [...byTestId<HTMLSelectElement>(root(), 'regrade-question').options].find((o) => o.value === 'q1')!
    expect(q1.disabled).toBe(true)
    expect(q1.textContent!.trim()).toBe('Exercice 1 — a — 3 / 5 (demande en attente)')
    expect(byTestId<HTMLTextAreaElement>(root(), 'regrade-message').value).toBe('')
  })

  it('sends nothing without a question or a message, and says why', async () => {
    const { calls } = mockFetch({
      'GET /api/students/me/copies/c1': json(200, resultFixture()),
      'GET /api/students/me/copies/c1/regrades': json(200, mine()),
    })
    view = await mountAt('/student/results/c1', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-form'))
    typeInto(byTestId(root(), 'regrade-message'), '   ')
    byTestId<HTMLButtonElement>(root(), 'regrade-send').click()
    await flush()
    expect(root().textContent).toContain('Choisissez la question à revoir.')
    expect(text(byTestId(root(), 'regrade-message-error'))).toBe('Écrivez un message.')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
  })

  it('shows the server’s refusal and the state it refused on', async () => {
    let requests: unknown[] = []
    mockFetch({
      'GET /api/students/me/copies/c1': json(200, resultFixture()),
      'GET /api/students/me/copies/c1/regrades': () => json(200, mine({ requests })),
      'POST /api/students/me/copies/c1/regrades': () => {
        requests = [requestFixture()] // filed meanwhile from another tab
        return json(409, { error: { code: 'conflict', message: 'A request is already open.', reason: 'regrade_open' } })
      },
    })
    view = await mountAt('/student/results/c1', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-form'))
    select(byTestId(root(), 'regrade-question'), 'q1')
    typeInto(byTestId(root(), 'regrade-message'), 'Pouvez-vous revoir ?')
    byTestId<HTMLButtonElement>(root(), 'regrade-send').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-send-error'))
    await vi.waitFor(() => expect(allByTestId(root(), 'regrade-item')).toHaveLength(1))
    expect(root().querySelector('[data-testid="regrade-sent"]')).toBeNull()
  })

  it('has no form once the window is closed, and keeps the answers', async () => {
    mockFetch({
      'GET /api/students/me/copies/c1': json(200, resultFixture({ total: 16 })),
      'GET /api/students/me/copies/c1/regrades': json(200, mine({ can_request: false, requests: [answeredFixture()] })),
    })
    view = await mountAt('/student/results/c1', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-item'))
    expect(root().querySelector('[data-testid="regrade-form"]')).toBeNull()
    expect(text(byTestId(root(), 'regrade-window'))).toBe('Le délai pour demander une révision est passé.')
    const item = byTestId(root(), 'regrade-item')
    expect(text(byTestId(item, 'regrade-status'))).toBe('Répondue')
    expect(text(byTestId(item, 'regrade-item-answer'))).toBe('Vous avez raison, la méthode compte.')
    expect(text(byTestId(item, 'regrade-item-score'))).toBe('Note : 3 → 4,5')
    expect(item.textContent).toContain('Réponse de tess, le')
  })

  it('reads the new total once the pending request gets its answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    let answered = false
    let resultReads = 0
    mockFetch({
      'GET /api/students/me/copies/c1': () => {
        resultReads += 1
        return json(200, answered ? resultFixture({ total: 16, questions: [{ id: 'q1', label: 'Exercice 1 — a', score: 4.5, max_points: 5, remark: '' }] }) : resultFixture())
      },
      'GET /api/students/me/copies/c1/regrades': () => json(200, mine({ requests: [answered ? answeredFixture() : requestFixture()] })),
    })
    view = await mountAt('/student/results/c1', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-item'))
    expect(text(byTestId(root(), 'result-total'))).toBe('14,5 / 20')
    answered = true
    await vi.advanceTimersByTimeAsync(30_000)
    await vi.waitFor(() => expect(text(byTestId(root(), 'result-total'))).toBe('16 / 20'))
    expect(resultReads).toBe(2)
    expect(text(byTestId(root(), 'regrade-item-score'))).toBe('Note : 3 → 4,5')
  })
})

// ---------------------------------------------------------------------------

function rubricDetail(overrides: Record<string, unknown> = {}) {
  return {
    ...requestFixture(),
    question: { id: 'q1', label: 'Exercice 1 — a', max_points: 5, region: { page: 1, x: 0.1, y: 0.2, w: 0.8, h: 0.25 } },
    page: { index: 1, url: 'https://files.example/c1-p1-masked.png', width: 1000, height: 1414 },
    score: { rubric_item_ids: ['r1'], adjustment: 0, score: 3, remark: '', complete: true, version: 4 },
    rubric: [
      { id: 'r1', question_id: 'q1', position: 0, label: 'Méthode correcte', kind: 'absolute', points: 3, comment: null, version: 1 },
      { id: 'r2', question_id: 'q1', position: 1, label: 'Résultat juste', kind: 'delta', points: 1.5, comment: 'Bien vu.', version: 1 },
      { id: 'r3', question_id: 'q1', position: 2, label: 'Unité oubliée', kind: 'delta', points: -0.5, comment: null, version: 1 },
    ],
    ...overrides,
  }
}

describe('a teacher answers from the queue', () => {
  it('applies rubric items by click and number key, answers, and the request moves to "Répondues"', async () => {
    const { calls } = mockFetch({
      'GET /api/me': json(200, { user: teacher, csrf_token: 'tok' }),
      'GET /api/regrades': (call) =>
        json(200, { requests: call.url.includes('status=ANSWERED') ? [] : [requestFixture(), requestFixture({ copy_id: 'c2', anonymous_id: '7F3A-002', created_at: '2025-06-21T08:00:00Z' })] }),
      'GET /api/regrades/c1/q1': json(200, rubricDetail()),
      'POST /api/regrades/c1/q1/answer': (call) => json(200, answeredFixture({ answer: (call.body as { answer: string }).answer })),
    })
    await loadMe()
    view = await mountAt('/teacher/regrades', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'regrade-row')).toHaveLength(2))
    expect(text(byTestId(root(), 'regrade-queue-title'))).toBe('Demandes de révision')
    expect(text(byTestId(root(), 'regrade-tab-open'))).toBe('En attente (2)')
    const rows = allByTestId(root(), 'regrade-row')
    expect(rows.map((r) => r.dataset.requestKey)).toEqual(['c2/q1', 'c1/q1']) // the oldest first
    expect(cells(rows[1]!).slice(0, 4)).toEqual(['Maths — juin', '7F3A-001', 'Exercice 1 — a', 'Ma méthode était juste.'])
    expect(calls.find((c) => c.url.startsWith('/api/regrades?'))!.url).toBe('/api/regrades?status=OPEN')

    byTestId<HTMLButtonElement>(rows[1]!, 'regrade-open').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answer-form'))
    const panel = byTestId(root(), 'regrade-panel')
    expect(text(byTestId(panel, 'regrade-panel-message'))).toBe('Ma méthode était juste.')
    // The question's region of its page, cropped: 80 % × 25 % of the page.
    const frame = byTestId(panel, 'regrade-page')
    expect(frame.dataset.cropped).toBe('true')
    const image = byTestId<HTMLImageElement>(panel, 'regrade-page-image')
    expect(image.getAttribute('src')).toBe('https://files.example/c1-p1-masked.png')
    expect(image.style.width).toBe('125%')
    expect(image.style.height).toBe('400%')
    expect(image.style.left).toBe('-12.5%')
    expect(image.style.top).toBe('-80%')
    expect(text(byTestId(panel, 'regrade-current-score'))).toBe('Note actuelle : 3 / 5')
    const items = allByTestId<HTMLButtonElement>(panel, 'regrade-rubric-item')
    expect(items.map((b) => b.getAttribute('aria-pressed'))).toEqual(['true', 'false', 'false'])
    const parts = (b: Element) => [...b.children].map(text)
    expect(parts(items[1]!)).toEqual(['2', 'Résultat juste', '+1,5'])
    expect(parts(items[2]!)).toEqual(['3', 'Unité oubliée', '−0,5'])

    items[1]!.click() // + 1,5
    press(document.body, '3') // − 0,5
    await flush()
    expect(items.map((b) => b.getAttribute('aria-pressed'))).toEqual(['true', 'true', 'true'])
    expect(text(byTestId(panel, 'regrade-new-score'))).toBe('Note après réponse : 4 / 5')
    press(document.body, '3') // the same key removes it again
    await flush()
    expect(text(byTestId(panel, 'regrade-new-score'))).toBe('Note après réponse : 4,5 / 5')

    // Typing in the answer does not toggle items.
    const answer = byTestId<HTMLTextAreaElement>(panel, 'regrade-answer')
    press(answer, '2')
    typeInto(answer, 'Vous avez raison, la méthode compte.')
    byTestId<HTMLButtonElement>(panel, 'regrade-submit').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answered'))
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.url).toBe('/api/regrades/c1/q1/answer')
    expect(post.body).toEqual({ version: 1, answer: 'Vous avez raison, la méthode compte.', rubric_item_ids: ['r1', 'r2'], adjustment: 0 })
    expect(text(byTestId(root(), 'regrade-answered'))).toBe('Réponse envoyée ; la copie est de nouveau générée avec la nouvelle note.')
    expect(allByTestId(root(), 'regrade-row').map((r) => r.dataset.requestKey)).toEqual(['c2/q1'])
    expect(text(byTestId(root(), 'regrade-tab-open'))).toBe('En attente (1)')
  })

  it('answers without a score change: only the answer is sent', async () => {
    const { calls } = mockFetch({
      'GET /api/regrades': json(200, { requests: [requestFixture()] }),
      'GET /api/regrades/c1/q1': json(200, rubricDetail()),
      'POST /api/regrades/c1/q1/answer': json(200, answeredFixture({ score_after: 3 })),
    })
    view = await mountAt('/teacher/regrades', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-row'))
    byTestId<HTMLButtonElement>(root(), 'regrade-open').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answer-form'))
    byTestId<HTMLButtonElement>(root(), 'regrade-submit').click()
    await flush()
    expect(text(byTestId(root(), 'regrade-answer-error'))).toBe('Écrivez une réponse.')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
    typeInto(byTestId(root(), 'regrade-answer'), 'La note est juste : il manque la justification.')
    byTestId<HTMLButtonElement>(root(), 'regrade-submit').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answered'))
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ version: 1, answer: 'La note est juste : il manque la justification.' })
    expect(text(byTestId(root(), 'regrade-answered'))).toBe('Réponse envoyée.')
  })

  it('in copy mode takes a score typed "2,5", refuses one above the question’s points', async () => {
    const { calls } = mockFetch({
      'GET /api/regrades': json(200, { requests: [requestFixture()] }),
      'GET /api/regrades/c1/q1': json(
        200,
        rubricDetail({ score: { score: 3 }, rubric: [], question: { id: 'q1', label: 'Exercice 1 — a', max_points: 5, region: null }, page: { index: 0, url: 'https://files.example/p0.png' } }),
      ),
      'POST /api/regrades/c1/q1/answer': json(200, answeredFixture({ score_after: 2.5 })),
    })
    view = await mountAt('/teacher/regrades', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-row'))
    byTestId<HTMLButtonElement>(root(), 'regrade-open').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-score'))
    expect(byTestId(root(), 'regrade-page').dataset.cropped).toBe('false')
    expect(root().querySelector('[data-testid="regrade-rubric-item"]')).toBeNull()
    const score = byTestId<HTMLInputElement>(root(), 'regrade-score')
    expect(score.value).toBe('3')
    typeInto(score, '7')
    typeInto(byTestId(root(), 'regrade-answer'), 'Revu.')
    byTestId<HTMLButtonElement>(root(), 'regrade-submit').click()
    await flush()
    expect(byTestId(root(), 'regrade-score-error').textContent).toContain('5')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
    typeInto(score, '2,5')
    await flush()
    expect(text(byTestId(root(), 'regrade-new-score'))).toBe('Note après réponse : 2,5 / 5')
    byTestId<HTMLButtonElement>(root(), 'regrade-submit').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answered'))
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ version: 1, answer: 'Revu.', score: 2.5 })
  })

  it('shows a stale version’s refusal, keeps the answer typed and answers on the new version', async () => {
    let version = 1
    const { calls } = mockFetch({
      'GET /api/regrades': json(200, { requests: [requestFixture()] }),
      'GET /api/regrades/c1/q1': () => json(200, rubricDetail({ version })),
      'POST /api/regrades/c1/q1/answer': (call) =>
        (call.body as { version: number }).version === version
          ? json(200, answeredFixture({ score_after: 3 }))
          : apiError(409, 'conflict', 'The request changed.'),
    })
    view = await mountAt('/teacher/regrades', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-row'))
    byTestId<HTMLButtonElement>(root(), 'regrade-open').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answer-form'))
    version = 2 // changed meanwhile
    typeInto(byTestId(root(), 'regrade-answer'), 'Revu.')
    byTestId<HTMLButtonElement>(root(), 'regrade-submit').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-submit-error'))
    expect(text(byTestId(root(), 'regrade-submit-error'))).toContain('La réponse n’a pas pu être envoyée.')
    expect(byTestId<HTMLTextAreaElement>(root(), 'regrade-answer').value).toBe('Revu.')
    expect(allByTestId(root(), 'regrade-row')).toHaveLength(1)
    await vi.waitFor(() => expect(calls.filter((c) => c.url === '/api/regrades/c1/q1')).toHaveLength(2))
    byTestId<HTMLButtonElement>(root(), 'regrade-submit').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answered'))
    expect(calls.filter((c) => c.method === 'POST').map((c) => (c.body as { version: number }).version)).toEqual([1, 2])
  })

  it('lists the answered requests in the second tab, score before → after', async () => {
    mockFetch({
      'GET /api/regrades': (call) => json(200, { requests: call.url.includes('ANSWERED') ? [answeredFixture()] : [] }),
    })
    view = await mountAt('/teacher/regrades', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-queue-empty'))
    expect(text(byTestId(root(), 'regrade-queue-empty'))).toBe('Aucune demande en attente.')
    byTestId<HTMLButtonElement>(root(), 'regrade-tab-answered').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-row'))
    expect(byTestId(root(), 'regrade-tab-answered').getAttribute('aria-selected')).toBe('true')
    expect(text(byTestId(root(), 'regrade-row'))).toContain('3 → 4,5')
  })

  it('opens an answered request read-only: the answer and the score before → after, no form', async () => {
    mockFetch({
      'GET /api/regrades': (call) => json(200, { requests: call.url.includes('ANSWERED') ? [answeredFixture()] : [] }),
      'GET /api/regrades/c1/q1': json(200, rubricDetail({ ...answeredFixture(), score: { rubric_item_ids: ['r1', 'r2'], adjustment: 0, score: 4.5, version: 5 } })),
    })
    view = await mountAt('/teacher/regrades', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-queue-empty'))
    byTestId<HTMLButtonElement>(root(), 'regrade-tab-answered').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-row'))
    byTestId<HTMLButtonElement>(root(), 'regrade-open').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-answered'))
    expect(text(byTestId(root(), 'regrade-answered'))).toBe('Cette demande a déjà reçu une réponse.')
    expect(text(byTestId(root(), 'regrade-panel-answer'))).toBe('Vous avez raison, la méthode compte.')
    expect(text(byTestId(root(), 'regrade-panel-after'))).toBe('Note : 3 → 4,5')
    expect(text(byTestId(root(), 'regrade-current-score'))).toBe('Note actuelle : 3 / 5')
    expect(root().querySelector('[data-testid="regrade-answer-form"]')).toBeNull()
    press(document.body, '2') // no toggling on an answered request
    await flush()
    expect(root().querySelector('[data-testid="regrade-answer-form"]')).toBeNull()
  })

  it('lights "Révisions", not the dashboard, on the queue', async () => {
    mockFetch({
      'GET /api/me': json(200, { user: teacher, csrf_token: 'tok' }),
      'GET /api/regrades': json(200, { requests: [] }),
    })
    await loadMe()
    view = await mountAt('/teacher/regrades', 'fr')
    await vi.waitFor(() => byTestId(root(), 'regrade-queue-empty'))
    const active = [...root().querySelectorAll('.mainnav__link.is-active')].map(text)
    expect(active).toEqual(['Révisions'])
  })

  it('shows the pending count in the navigation, for teachers', async () => {
    vi.stubGlobal('requestIdleCallback', (cb: () => void) => {
      queueMicrotask(cb)
      return 1
    })
    mockFetch({
      'GET /api/me': json(200, { user: teacher, csrf_token: 'tok' }),
      'GET /api/teacher/copies': json(200, { copies: [] }),
      'GET /api/teacher/questions': json(200, { questions: [] }),
      'GET /api/regrades': json(200, { requests: [requestFixture(), requestFixture({ question_id: 'q2' })] }),
    })
    await loadMe()
    view = await mountAt('/teacher', 'fr')
    await vi.waitFor(() => expect(text(byTestId(root(), 'regrades-nav'))).toBe('Révisions (2)'))
    expect(byTestId<HTMLAnchorElement>(root(), 'regrades-nav').getAttribute('href')).toBe('/teacher/regrades')
  })

  it('signing out waits for the count being asked, so no request meets an ended session', async () => {
    vi.stubGlobal('requestIdleCallback', (cb: () => void) => {
      queueMicrotask(cb)
      return 1
    })
    const order: string[] = []
    let answer: (response: Response) => void = () => {}
    mockFetch({
      'GET /api/me': json(200, { user: teacher, csrf_token: 'tok' }),
      'GET /api/teacher/copies': json(200, { copies: [] }),
      'GET /api/teacher/questions': json(200, { questions: [] }),
      'GET /api/regrades': () => {
        order.push('count asked')
        return new Promise<Response>((resolve) => {
          answer = (response) => {
            order.push('count answered')
            resolve(response)
          }
        })
      },
      'POST /api/logout': () => {
        order.push('logout')
        return empty(204)
      },
    })
    await loadMe()
    view = await mountAt('/teacher', 'fr')
    await vi.waitFor(() => expect(order).toEqual(['count asked']))
    const signingOut = logout()
    await flush()
    expect(order).toEqual(['count asked']) // the sign-out waits
    answer(json(200, { requests: [] }))
    await signingOut
    expect(order).toEqual(['count asked', 'count answered', 'logout'])
  })
})

// ---------------------------------------------------------------------------

describe('an admin, on the exam’s regrade tab', () => {
  it('lists the exam’s requests with their state and sets the window in days', async () => {
    const { calls } = mockFetch({
      'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'tok' }),
      'GET /api/exams/ex1': json(200, examFixture({ regrade_window_days: 7, released_at: '2025-06-20T08:00:00Z' })),
      'GET /api/exams/ex1/regrades': json(200, {
        requests: [answeredFixture({ student_name: 'LEFÈVRE Zoé' }), requestFixture({ question_id: 'q2', question_label: 'Exercice 1 — b', student_name: 'MARTIN Léa' })],
      }),
      'PATCH /api/exams/ex1': (call) => json(200, examFixture({ regrade_window_days: (call.body as { regrade_window_days: number }).regrade_window_days })),
    })
    await loadMe()
    view = await mountAt('/admin/exams/ex1/regrades', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'exam-regrade-row')).toHaveLength(2))
    expect(text(byTestId(root(), 'tab-regrades'))).toBe('Demandes de révision')
    expect(byTestId(root(), 'tab-regrades').getAttribute('aria-current')).toBe('page')
    const rows = allByTestId(root(), 'exam-regrade-row')
    expect(rows.map((r) => r.dataset.status)).toEqual(['OPEN', 'ANSWERED']) // pending first
    expect(cells(rows[0]!).slice(0, 3)).toEqual(['7F3A-001', 'MARTIN Léa', 'Exercice 1 — b'])
    expect(text(byTestId(rows[0]!, 'exam-regrade-status'))).toBe('En attente')
    expect(text(byTestId(rows[1]!, 'exam-regrade-status'))).toBe('Répondue')
    expect(text(rows[1]!)).toContain('3 → 4,5')
    expect(text(byTestId(root(), 'exam-regrades-counts'))).toBe('1 en attente, 1 répondue(s)')

    const days = byTestId<HTMLInputElement>(root(), 'regrade-window-days')
    expect(days.value).toBe('7')
    typeInto(days, 'dix')
    byTestId<HTMLButtonElement>(root(), 'regrade-window-save').click()
    await flush()
    expect(text(byTestId(root(), 'regrade-window-error'))).toBe('Saisissez un nombre entier de jours entre 0 et 365.')
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0)
    typeInto(days, '10')
    byTestId<HTMLButtonElement>(root(), 'regrade-window-save').click()
    await vi.waitFor(() => byTestId(root(), 'regrade-window-saved'))
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ regrade_window_days: 10 })
    expect(text(byTestId(root(), 'regrade-window-saved'))).toBe('Délai enregistré : 10 jours.')
  })
})
