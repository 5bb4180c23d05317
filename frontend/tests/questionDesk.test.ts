import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import type { CopyQuestion, QuestionCopies, QuestionCopy } from '../src/api/questions'
import type { RubricItem } from '../src/api/rubrics'
import { loadMe, resetSessionState } from '../src/stores/session'
import { apiError, empty, json, mockFetch, staffAdmin, type Call, type Responder } from './helpers'
import { allByTestId, byTestId, flush, mountAt, type Mounted } from './mount'

let view: Mounted | null = null
const root = () => view!.root
const q = <T extends Element = HTMLElement>(id: string) => byTestId<T>(root(), id)
const calls = (all: Call[], method: string, path: string) => all.filter((c) => c.method === method && c.url.split('?')[0] === path)

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

const DESK = '/teacher/exams/e1/questions/q1'
const question = { id: 'q1', label: 'Exercice 1 › a', max_points: 4, region: { page: 1, x: 0.1, y: 0.25, w: 0.8, h: 0.5 } }
const rubric: RubricItem[] = [
  { id: 'r1', question_id: 'q1', position: 0, label: 'Méthode juste', kind: 'delta', points: 2, comment: 'Bonne méthode', version: 1 },
  { id: 'r2', question_id: 'q1', position: 1, label: 'Résultat exact', kind: 'delta', points: 1, comment: null, version: 1 },
  { id: 'r3', question_id: 'q1', position: 2, label: 'Unité oubliée', kind: 'delta', points: -0.5, comment: null, version: 1 },
]

const row = (id: string, extra: Partial<QuestionCopy> = {}): QuestionCopy => ({
  copy_id: id,
  anonymous_id: `A-00${id.slice(1)}`,
  status: 'READY',
  score: null,
  complete: false,
  lock: null,
  ...extra,
})

function detail(id: string, extra: Partial<CopyQuestion> = {}): CopyQuestion {
  return {
    copy_id: id,
    exam_id: 'e1',
    anonymous_id: `A-00${id.slice(1)}`,
    status: 'READY',
    question,
    page: { index: 1, url: `/img/${id}-p1.jpg`, width: 1000, height: 1400 },
    score: { rubric_item_ids: [], adjustment: 0, score: null, remark: '', complete: false, version: 0 },
    rubric,
    lock: null,
    ...extra,
  }
}

/** A small fake of the question routes: three copies, scores kept per copy. */
function deskRoutes(extra: Record<string, Responder | Response> = {}) {
  const rows = [row('c1'), row('c2'), row('c3')]
  const routes: Record<string, Responder | Response> = {
    'GET /api/exams/e1/questions/q1/copies': () =>
      json(200, { question, copies: rows, complete: rows.filter((r) => r.complete).length, total: rows.length } satisfies QuestionCopies),
  }
  for (const r of rows) {
    const id = String(r.copy_id)
    const base = `/api/copies/${id}/questions/q1`
    routes[`GET ${base}`] = json(200, detail(id))
    routes[`POST ${base}/lock`] = json(201, { token: `tok-${id}`, expires_at: '2025-06-12T10:10:00Z' })
    routes[`POST ${base}/lock/heartbeat`] = json(200, { expires_at: '2025-06-12T10:10:30Z' })
    routes[`DELETE ${base}/lock`] = empty(204)
    routes[`PUT ${base}/score`] = (c: Call) => {
      const body = c.body as { version: number; rubric_item_ids: string[]; adjustment: number; remark: string; complete: boolean }
      const score = body.rubric_item_ids.reduce((s, i) => s + (rubric.find((x) => x.id === i)?.points ?? 0), body.adjustment)
      r.complete = body.complete
      r.score = score
      const last = rows.every((x) => x.complete)
      return json(200, {
        score: { ...body, score, version: body.version + 1 },
        copy_status: last ? 'GRADING_IN_PROGRESS' : 'READY',
        finalised: body.complete && last,
      })
    }
  }
  return { ...routes, ...extra }
}

beforeAll(async () => {
  await import('../src/views/QuestionDeskView.vue')
  await import('../src/views/TeacherDashboardView.vue')
}, 60_000)

beforeEach(() => {
  resetClientState()
  setCsrfToken('csrf')
  vi.stubGlobal('scrollTo', vi.fn())
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
  vi.setSystemTime(new Date('2025-06-12T10:00:00Z'))
})

afterEach(() => {
  view?.unmount()
  view = null
  vi.useRealTimers()
  resetClientState()
  resetSessionState()
})

const key = (k: string, mods: KeyboardEventInit = {}) =>
  window.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...mods }))
const applied = () => allByTestId(root(), 'rubric-item').filter((b) => b.dataset.applied === 'true').map((b) => b.dataset.itemId)

async function openDesk(path = DESK, locale: 'fr' | 'en' = 'fr'): Promise<void> {
  view = await mountAt(path, locale)
  await until(() => expect(allByTestId<HTMLButtonElement>(root(), 'rubric-item')[0]!.disabled).toBe(false))
}

describe('question desk', () => {
  it('opens the first copy to grade on its question region, under a question lock with a heartbeat', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openDesk()
    expect(view!.router.currentRoute.value.query.copy).toBe('c1')
    expect(q('question-title').textContent).toContain('Exercice 1 › a · sur 4 points')
    expect(q('question-copy-id').dataset.anonymousId).toBe('A-001')
    expect(q('question-progress').textContent).toContain('0 / 3 notées')
    // The page is cropped to the region: the image is 1/w wide and shifted by -x/w, -y/h.
    const img = q<HTMLImageElement>('question-region-image')
    expect(img.getAttribute('src')).toBe('/img/c1-p1.jpg')
    expect(img.style.width).toBe('125%')
    expect(img.style.left).toBe('-12.5%')
    expect(img.style.top).toBe('-50%')
    expect(q('question-region').dataset.cropped).toBe('true')
    // Numbered rubric buttons, French numbers.
    const buttons = allByTestId(root(), 'rubric-item')
    const words = (b: HTMLElement) => Array.from(b.children).map((c) => c.textContent!.trim()).join(' ')
    expect(buttons.map(words)).toEqual([
      '1 Méthode juste +2 Bonne méthode',
      '2 Résultat exact +1',
      '3 Unité oubliée −0,5',
    ])
    expect(calls(all, 'POST', '/api/copies/c1/questions/q1/lock')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(30_000)
    const beats = calls(all, 'POST', '/api/copies/c1/questions/q1/lock/heartbeat')
    expect(beats).toHaveLength(1)
    expect(beats[0]!.headers.get('X-Lock-Token')).toBe('tok-c1')
    // Teachers see anonymous ids only.
    expect(root().textContent).not.toMatch(/@|élève\s*:/i)
  })

  it('number keys apply and remove items; the score is computed at once; Ctrl+Enter saves complete and opens the next copy', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openDesk()
    key('1')
    key('2')
    key('3')
    await flush()
    expect(applied()).toEqual(['r1', 'r2', 'r3'])
    expect(q('question-score').textContent).toBe('2,5 / 4')
    key('2')
    await flush()
    expect(applied()).toEqual(['r1', 'r3'])
    expect(q('question-score').textContent).toBe('1,5 / 4')
    allByTestId(root(), 'rubric-item')[1]!.click() // one click too
    await flush()
    expect(q('question-score').textContent).toBe('2,5 / 4')
    // A number typed in a field is text, not a rubric key.
    const remark = q<HTMLTextAreaElement>('question-remark')
    remark.value = 'Soigné'
    remark.dispatchEvent(new Event('input', { bubbles: true }))
    remark.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true, cancelable: true }))
    await flush()
    expect(applied()).toEqual(['r1', 'r2', 'r3'])

    remark.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true, cancelable: true }))
    await until(() => expect(view!.router.currentRoute.value.query.copy).toBe('c2'))
    await until(() => expect(q('question-copy-id').dataset.anonymousId).toBe('A-002'))
    const put = calls(all, 'PUT', '/api/copies/c1/questions/q1/score')
    expect(put).toHaveLength(1)
    expect(put[0]!.headers.get('X-Lock-Token')).toBe('tok-c1')
    expect(put[0]!.body).toEqual({ version: 0, rubric_item_ids: ['r1', 'r3', 'r2'], adjustment: 0, remark: 'Soigné', complete: true })
    await until(() => expect(calls(all, 'DELETE', '/api/copies/c1/questions/q1/lock')).toHaveLength(1))
    await until(() => expect(calls(all, 'POST', '/api/copies/c2/questions/q1/lock')).toHaveLength(1))
    expect(q('question-progress').textContent).toContain('1 / 3 notées')
    expect(applied()).toEqual([])
  })

  it('goes through every copy with the keyboard; the last one finalises the copy and says none is left', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openDesk()
    for (const id of ['c1', 'c2', 'c3']) {
      await until(() => expect(view!.router.currentRoute.value.query.copy).toBe(id))
      await until(() => expect(allByTestId<HTMLButtonElement>(root(), 'rubric-item')[0]!.disabled).toBe(false))
      key('1')
      await flush()
      key('Enter', { ctrlKey: true })
      await until(() => expect(calls(all, 'PUT', `/api/copies/${id}/questions/q1/score`)).toHaveLength(1))
    }
    await until(() => expect(q('question-all-done').textContent).toContain('Toutes les copies sont notées pour cette question'))
    expect(q('question-announcement').textContent).toContain('Toutes les copies sont notées')
    expect(q('question-progress').textContent).toContain('3 / 3 notées')
  })

  it('a copy held by another teacher on this question is read-only, says who, and offers to skip', async () => {
    const { calls: all } = mockFetch(
      deskRoutes({
        'POST /api/copies/c1/questions/q1/lock': json(409, {
          error: { code: 'conflict', message: 'This copy is being graded by Bob.', reason: 'lock_held_by_other', params: { name: 'Bob' } },
          holder: 'Bob',
        }),
      }),
    )
    view = await mountAt(DESK, 'fr')
    await until(() => expect(q('question-lock-banner').textContent).toContain('Cette copie est ouverte par Bob'))
    expect(allByTestId<HTMLButtonElement>(root(), 'rubric-item').every((b) => b.disabled)).toBe(true)
    key('1')
    await flush()
    expect(applied()).toEqual([])
    q('question-skip').click()
    await until(() => expect(view!.router.currentRoute.value.query.copy).toBe('c2'))
    await until(() => expect(calls(all, 'POST', '/api/copies/c2/questions/q1/lock')).toHaveLength(1))
    expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')).toHaveLength(0)
  })

  it('an admin takes over a copy held by a teacher: the lock is broken (no token), then taken', async () => {
    let held = true
    const { calls: all } = mockFetch(
      deskRoutes({
        'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'csrf' }),
        'POST /api/copies/c1/questions/q1/lock': () =>
          held
            ? json(409, { error: { code: 'conflict', message: 'Held by Bob.', reason: 'lock_held_by_other', params: { name: 'Bob' } }, holder: 'Bob' })
            : json(201, { token: 'tok-admin', expires_at: '2025-06-12T10:10:00Z' }),
        'DELETE /api/copies/c1/questions/q1/lock': () => {
          held = false
          return empty(204)
        },
      }),
    )
    await loadMe()
    view = await mountAt(DESK, 'fr')
    await until(() => expect(q('question-lock-banner').textContent).toContain('Bob'))
    q('question-break-lock').click()
    await until(() => expect(allByTestId<HTMLButtonElement>(root(), 'rubric-item')[0]!.disabled).toBe(false))
    const broken = calls(all, 'DELETE', '/api/copies/c1/questions/q1/lock')
    expect(broken).toHaveLength(1)
    expect(broken[0]!.headers.get('X-Lock-Token')).toBeNull()
    expect(calls(all, 'POST', '/api/copies/c1/questions/q1/lock')).toHaveLength(2)
  })

  it('a copy under a copy-mode lock says so and can be skipped', async () => {
    mockFetch(
      deskRoutes({
        'POST /api/copies/c1/questions/q1/lock': json(409, {
          error: { code: 'conflict', message: 'This copy is being graded as a whole.', reason: 'copy_locked_whole' },
        }),
      }),
    )
    view = await mountAt(DESK, 'en')
    await until(() => expect(q('question-lock-banner').dataset.phase).toBe('taken'))
    expect(q('question-lock-banner').textContent!.length).toBeGreaterThan(20)
    expect(root().querySelector('[data-testid="question-break-lock"]')).toBeNull()
    q('question-skip').click()
    await until(() => expect(view!.router.currentRoute.value.query.copy).toBe('c2'))
  })

  it('a stale score (409 score_changed) shows the error and the score saved meanwhile', async () => {
    let reads = 0
    mockFetch(
      deskRoutes({
        'GET /api/copies/c1/questions/q1': () =>
          json(200, reads++ === 0 ? detail('c1') : detail('c1', { score: { rubric_item_ids: ['r2'], adjustment: 0, score: 1, remark: '', complete: true, version: 3 } })),
        'PUT /api/copies/c1/questions/q1/score': json(409, {
          error: { code: 'conflict', message: 'Someone saved this score meanwhile.', reason: 'score_changed' },
        }),
      }),
    )
    await openDesk(DESK, 'en')
    key('1')
    await flush()
    q('question-save').click()
    await until(() => expect(q('question-save-error').textContent!.length).toBeGreaterThan(0))
    await until(() => expect(applied()).toEqual(['r2']))
    expect(view!.router.currentRoute.value.query.copy).toBe('c1')
  })

  it('an invalid adjustment is refused before anything is sent', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openDesk()
    const adj = q<HTMLInputElement>('question-adjustment')
    adj.value = '0,1'
    adj.dispatchEvent(new Event('input', { bubbles: true }))
    await flush()
    expect(q('question-adjustment-error').textContent).toContain('quarts de point')
    q('question-validate-next').click()
    await flush()
    expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')).toHaveLength(0)
    adj.value = '-0,5'
    adj.dispatchEvent(new Event('input', { bubbles: true }))
    key('1')
    await flush()
    expect(q('question-score').textContent).toBe('1,5 / 4')
  })

  it('leaving the desk saves what changed and releases the lock', async () => {
    const { calls: all } = mockFetch({ ...deskRoutes(), 'GET /api/teacher/copies': json(200, { copies: [] }), 'GET /api/teacher/questions': json(200, { questions: [] }) })
    await openDesk()
    key('2')
    await flush()
    await view!.router.push('/teacher')
    await until(() => expect(calls(all, 'DELETE', '/api/copies/c1/questions/q1/lock')).toHaveLength(1))
    const put = calls(all, 'PUT', '/api/copies/c1/questions/q1/score')
    expect(put).toHaveLength(1)
    expect(put[0]!.body).toMatchObject({ rubric_item_ids: ['r2'], complete: false })
  })

  it('closing the tab with unsaved changes: the browser asks, then the save goes out with keepalive and the lock expires by itself', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openDesk()
    const clean = new Event('beforeunload', { cancelable: true })
    window.dispatchEvent(clean)
    expect(clean.defaultPrevented).toBe(false)
    key('1')
    await flush()
    const asked = new Event('beforeunload', { cancelable: true })
    window.dispatchEvent(asked)
    expect(asked.defaultPrevented).toBe(true)

    window.dispatchEvent(new Event('pagehide'))
    await until(() => expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')).toHaveLength(1))
    const init = vi.mocked(fetch).mock.calls.find(([url, i]) => String(url).endsWith('/score') && i?.method === 'PUT')![1]!
    expect(init.keepalive).toBe(true)
    expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')[0]!.body).toMatchObject({ rubric_item_ids: ['r1'], complete: false })
    expect(calls(all, 'DELETE', '/api/copies/c1/questions/q1/lock')).toHaveLength(0)
  })

  it('a save refused because the session ended keeps the form in the browser; the desk brings it back after signing in', async () => {
    window.localStorage.clear()
    let signedIn = true
    const me = () => (signedIn ? json(200, { user: staffAdmin, csrf_token: 'csrf' }) : apiError(401, 'unauthorized', 'Sign in.'))
    mockFetch(deskRoutes({ 'GET /api/me': me, 'PUT /api/copies/c1/questions/q1/score': apiError(401, 'unauthorized', 'Sign in.') }))
    await loadMe()
    await openDesk()
    key('1')
    key('3')
    await flush()
    signedIn = false
    q('question-save').click()
    await until(() => expect(q('question-save-error').textContent).toContain('Session expirée'))
    view!.unmount() // the sign-in page: leaving the desk tries the save once more (401 again)
    view = null
    await flush()
    expect(JSON.parse(window.localStorage.getItem(`korrigo:kept-question:${staffAdmin.id}:c1:q1`)!)).toMatchObject({ rubric_item_ids: ['r1', 'r3'], version: 0 })

    signedIn = true
    const { calls: all } = mockFetch(deskRoutes({ 'GET /api/me': me }))
    await loadMe(true)
    await openDesk()
    await until(() => expect(applied()).toEqual(['r1', 'r3']))
    expect(q('question-kept-notice').textContent).toContain('Vos modifications non enregistrées ont été reprises')
    expect(q('question-score').textContent).toBe('1,5 / 4')
    q('question-save').click()
    await until(() => expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')).toHaveLength(1))
    expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')[0]!.body).toMatchObject({ rubric_item_ids: ['r1', 'r3'], version: 0 })
    await until(() => expect(window.localStorage.getItem(`korrigo:kept-question:${staffAdmin.id}:c1:q1`)).toBeNull())
    expect(root().querySelector('[data-testid="question-kept-notice"]')).toBeNull()
  })

  it('changes kept on a score saved since by someone else are not applied, and the desk says so', async () => {
    window.localStorage.clear()
    window.localStorage.setItem(
      `korrigo:kept-question:${staffAdmin.id}:c1:q1`,
      JSON.stringify({ rubric_item_ids: ['r3'], adjustmentText: '', remark: 'mine', version: 0, keptAt: 0 }),
    )
    const saved = { rubric_item_ids: ['r2'], adjustment: 0, score: 1, remark: '', complete: false, version: 1 }
    mockFetch(deskRoutes({ 'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'csrf' }), 'GET /api/copies/c1/questions/q1': json(200, detail('c1', { score: saved })) }))
    await loadMe(true)
    await openDesk()
    await until(() => expect(q('question-kept-notice').textContent).toContain('n’ont pas été reprises'))
    expect(applied()).toEqual(['r2'])
    expect(window.localStorage.getItem(`korrigo:kept-question:${staffAdmin.id}:c1:q1`)).toBeNull()
  })

  it('an item removed from the rubric that the copy still applies counts, shows as removed, and can only be taken off', async () => {
    const retired: RubricItem = { id: 'r9', question_id: 'q1', position: 9, label: 'Ancien critère', kind: 'delta', points: 1, comment: null, version: 2 }
    const score = { rubric_item_ids: ['r1', 'r9'], adjustment: 0, score: 3, remark: '', complete: false, version: 1 }
    const { calls: all } = mockFetch(deskRoutes({ 'GET /api/copies/c1/questions/q1': json(200, detail('c1', { score, retired: [retired] })) }))
    await openDesk()
    const old = () => q<HTMLButtonElement>('rubric-retired-item')
    expect(old().textContent).toContain('retiré')
    expect(old().dataset.applied).toBe('true')
    expect(q('question-score').textContent).toBe('3 / 4')
    key('9') // no key for a removed item
    await flush()
    expect(old().dataset.applied).toBe('true')

    old().click()
    await flush()
    expect(old().dataset.applied).toBe('false')
    expect(old().disabled).toBe(true) // never put back
    expect(q('question-score').textContent).toBe('2 / 4')
    q('question-save').click()
    await until(() => expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')).toHaveLength(1))
    expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')[0]!.body).toMatchObject({ rubric_item_ids: ['r1'] })
  })

  it('closing the tab with nothing to save releases the lock with keepalive', async () => {
    const { calls: all } = mockFetch(deskRoutes())
    await openDesk()
    window.dispatchEvent(new Event('pagehide'))
    await until(() => expect(calls(all, 'DELETE', '/api/copies/c1/questions/q1/lock')).toHaveLength(1))
    const init = vi.mocked(fetch).mock.calls.find(([, i]) => i?.method === 'DELETE')![1]!
    expect(init.keepalive).toBe(true)
    expect(calls(all, 'PUT', '/api/copies/c1/questions/q1/score')).toHaveLength(0)

    // Back from the browser's page cache: the copy opens again under a new lock.
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))
    await until(() => expect(calls(all, 'POST', '/api/copies/c1/questions/q1/lock')).toHaveLength(2))
    await until(() => expect(allByTestId<HTMLButtonElement>(root(), 'rubric-item')[0]!.disabled).toBe(false))
  })
})

describe('the question rubric editor', () => {
  it('edits an item’s points, warning that graded copies are re-scored, and says how many were', async () => {
    let items = rubric
    const { calls: all } = mockFetch(
      deskRoutes({
        'PATCH /api/exams/e1/rubrics/r2': (c: Call) => {
          items = rubric.map((i) => (i.id === 'r2' ? { ...i, points: 1.5, version: 2 } : i))
          return json(200, { item: items[1], rescore: { copies: 2 }, echo: c.body })
        },
        'GET /api/exams/e1/rubrics': () => json(200, { items }),
        'POST /api/exams/e1/rubrics': json(201, { ...rubric[0], id: 'r4', label: 'Figure', position: 3 }),
      }),
    )
    await openDesk()
    key('2')
    await flush()
    q('rubric-editor-toggle').click()
    await flush()
    expect(q('rubric-rescore-warning').textContent).toContain('recalcule toutes les copies qui l’utilisent')
    allByTestId(root(), 'rubric-edit')[1]!.click()
    await flush()
    const points = q<HTMLInputElement>('rubric-edit-points')
    expect(points.value).toBe('1')
    points.value = '1,5'
    points.dispatchEvent(new Event('input', { bubbles: true }))
    q('rubric-edit-save').click()
    await until(() => expect(q('rubric-editor-message').textContent).toContain('2 copies recalculées'))
    expect(calls(all, 'PATCH', '/api/exams/e1/rubrics/r2')[0]!.body).toEqual({
      version: 1,
      label: 'Résultat exact',
      kind: 'delta',
      points: 1.5,
      comment: null,
    })
    // The desk follows the new points at once.
    await until(() => expect(q('question-score').textContent).toBe('1,5 / 4'))

    // A bad item is refused with a sentence, nothing sent.
    const label = q<HTMLInputElement>('rubric-add-label')
    label.value = 'Figure'
    label.dispatchEvent(new Event('input', { bubbles: true }))
    const addPoints = q<HTMLInputElement>('rubric-add-points')
    addPoints.value = '9'
    addPoints.dispatchEvent(new Event('input', { bubbles: true }))
    q('rubric-add').click()
    await flush()
    expect(q('rubric-editor-error').textContent).toContain('au plus 4 points')
    expect(calls(all, 'POST', '/api/exams/e1/rubrics')).toHaveLength(0)
    addPoints.value = '0,5'
    addPoints.dispatchEvent(new Event('input', { bubbles: true }))
    q('rubric-add').click()
    await until(() => expect(calls(all, 'POST', '/api/exams/e1/rubrics')).toHaveLength(1))
    expect(calls(all, 'POST', '/api/exams/e1/rubrics')[0]!.body).toEqual({ question_id: 'q1', label: 'Figure', kind: 'delta', points: 0.5 })
  })

  it('moves an item up: the positions become 1…n in the new order, only the changed ones sent', async () => {
    let items = rubric
    const { calls: all } = mockFetch(
      deskRoutes({
        'PATCH /api/exams/e1/rubrics/r1': json(200, { item: rubric[0], rescore: { copies: 0 } }),
        'PATCH /api/exams/e1/rubrics/r2': json(200, { item: rubric[1], rescore: { copies: 0 } }),
        'PATCH /api/exams/e1/rubrics/r3': json(200, { item: rubric[2], rescore: { copies: 0 } }),
        'GET /api/exams/e1/rubrics': () => json(200, { items }),
      }),
    )
    await openDesk()
    q('rubric-editor-toggle').click()
    await flush()
    const ups = allByTestId<HTMLButtonElement>(root(), 'rubric-move-up')
    expect(ups[0]!.disabled).toBe(true)
    items = [
      { ...rubric[1]!, position: 1, version: 2 },
      { ...rubric[0]!, position: 2, version: 2 },
      { ...rubric[2]!, position: 3, version: 2 },
    ]
    ups[1]!.click()
    await until(() => expect(q('rubric-editor-message').textContent).toContain('Ordre des éléments enregistré'))
    expect(calls(all, 'PATCH', '/api/exams/e1/rubrics/r2')).toHaveLength(0) // already at position 1
    expect(calls(all, 'PATCH', '/api/exams/e1/rubrics/r1')[0]!.body).toEqual({ version: 1, position: 2 })
    expect(calls(all, 'PATCH', '/api/exams/e1/rubrics/r3')[0]!.body).toEqual({ version: 1, position: 3 })
    const labels = allByTestId(root(), 'rubric-editor-item').map((li) => li.textContent ?? '')
    expect(labels[0]).toContain('Résultat exact')
  })
})

describe('teacher dashboard: my questions', () => {
  it('lists my questions with their progress and a link to the question desk', async () => {
    vi.useRealTimers()
    mockFetch({
      'GET /api/teacher/copies': json(200, { copies: [] }),
      'GET /api/teacher/questions': json(200, {
        questions: [
          { exam_id: 'e1', exam_name: 'Maths', question_id: 'q1', label: 'Exercice 1 › a', max_points: 2.5, total: 20, complete: 7 },
        ],
      }),
    })
    view = await mountAt('/teacher', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'my-question-row')).toHaveLength(1))
    expect(q('my-questions').textContent).toContain('Mes questions')
    expect(q('my-question-progress').textContent).toContain('7 / 20 copies notées')
    expect(root().textContent).toContain('2,5')
    expect(q<HTMLAnchorElement>('question-desk-link').getAttribute('href')).toBe('/teacher/exams/e1/questions/q1')
  })
})
