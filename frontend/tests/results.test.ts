import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { navigateTo, saveBlob } from '../src/lib/download'
import { loadMe, resetSessionState } from '../src/stores/session'
import { apiError, empty, json, mockFetch, student } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, type Mounted } from './mount'

// The browser side effects of a download (navigating, saving a Blob) are
// recorded instead of happening: jsdom cannot navigate.
vi.mock('../src/lib/download', () => ({ navigateTo: vi.fn(), saveBlob: vi.fn() }))

// Fixed time zone, so that the datetime-local → UTC conversion is checked for real.
const previousTz = process.env.TZ
beforeAll(() => {
  process.env.TZ = 'Europe/Paris'
})
afterAll(() => {
  if (previousTz === undefined) delete process.env.TZ
  else process.env.TZ = previousTz
})

let view: Mounted | null = null
const root = () => view!.root

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
  vi.stubGlobal('scrollTo', vi.fn())
  vi.mocked(navigateTo).mockReset()
  vi.mocked(saveBlob).mockReset()
})

afterEach(() => {
  view?.unmount()
  view = null
  resetClientState()
  resetSessionState()
})

function resultFixture(overrides: Record<string, unknown> = {}) {
  return {
    id: 'c1',
    exam_id: 'ex1',
    exam_name: 'Maths — June',
    subject: 'Mathematics',
    date: '2025-06-12',
    anonymous_id: '7F3A-001',
    total: 14.5,
    max_points: 20,
    questions: [
      { id: 'q1', label: 'Exercise 1 — a', score: 4, max_points: 5, remark: 'Good method.' },
      { id: 'q2', label: 'Exercise 1 — b', score: 0.5, max_points: 5, remark: '' },
      { id: 'q3', label: 'Exercise 2', score: 10, max_points: 10, remark: 'Perfect.' },
    ],
    appreciation: 'Serious work, keep it up.',
    released_at: '2025-06-20T08:00:00Z',
    ...overrides,
  }
}

// ---------------------------------------------------------------------------
// Student portal
// ---------------------------------------------------------------------------

describe('student portal', () => {
  it('lists the released results, each linking to its detail', async () => {
    mockFetch({
      'GET /api/me': json(200, { user: student, csrf_token: 'tok' }),
      'GET /api/students/me/copies': json(200, {
        copies: [
          resultFixture(),
          resultFixture({ id: 'c9', exam_name: 'History', subject: 'History', date: '2025-05-02', total: 9, max_points: 10 }),
        ],
      }),
    })
    await loadMe()
    view = await mountAt('/student')
    await vi.waitFor(() => expect(allByTestId(root(), 'result-row')).toHaveLength(2))
    expect(byTestId(root(), 'dashboard-title').textContent).toBe('My results')
    const rows = allByTestId(root(), 'result-row')
    expect(rows.map((r) => r.dataset.copyId)).toEqual(['c1', 'c9'])
    expect(rows[0]!.textContent).toContain('Maths — June')
    expect(rows[0]!.textContent).toContain('Mathematics')
    expect(byTestId(rows[0]!, 'result-total').textContent!.replace(/\s+/g, ' ').trim()).toBe('14.5 / 20')
    expect(byTestId(rows[1]!, 'result-total').textContent!.replace(/\s+/g, ' ').trim()).toBe('9 / 10')
    expect(byTestId<HTMLAnchorElement>(rows[0]!, 'result-link').getAttribute('href')).toBe('/student/results/c1')
    expect(root().querySelector('[data-testid="no-results"]')).toBeNull()
    // The nav stays lit on the results pages.
    expect(root().querySelector('.mainnav__link.is-active')?.textContent?.trim()).toBe('My results')
  })

  it('shows the empty state when nothing is released', async () => {
    mockFetch({ 'GET /api/students/me/copies': json(200, { copies: [] }) })
    view = await mountAt('/student')
    await vi.waitFor(() => byTestId(root(), 'no-results'))
    expect(allByTestId(root(), 'result-row')).toHaveLength(0)
  })

  it('shows the detail: questions, remarks, appreciation and total', async () => {
    const { calls } = mockFetch({ 'GET /api/students/me/copies/c1': json(200, resultFixture()) })
    view = await mountAt('/student/results/c1')
    await vi.waitFor(() => byTestId(root(), 'result-title'))
    expect(calls.map((c) => c.url)).toEqual(['/api/students/me/copies/c1', '/api/students/me/copies/c1/regrades'])
    expect(byTestId(root(), 'result-title').textContent).toBe('Maths — June')
    expect(byTestId(root(), 'result-total').textContent!.replace(/\s+/g, ' ').trim()).toBe('14.5 / 20')
    const questions = allByTestId(root(), 'result-question')
    expect(questions).toHaveLength(3)
    expect(questions[0]!.textContent).toContain('Exercise 1 — a')
    expect(byTestId(questions[0]!, 'result-question-score').textContent!.trim()).toBe('4 / 5')
    expect(byTestId(questions[0]!, 'result-question-remark').textContent!.trim()).toBe('Good method.')
    expect(byTestId(questions[1]!, 'result-question-score').textContent!.trim()).toBe('0.5 / 5')
    expect(byTestId(questions[1]!, 'result-question-remark').textContent!.trim()).toBe('—')
    expect(byTestId(root(), 'result-appreciation').textContent).toBe('Serious work, keep it up.')
    expect(root().textContent).toContain('7F3A-001')
  })

  it('asks for a fresh download link on each click, then navigates to it', async () => {
    let n = 0
    const { calls } = mockFetch({
      'GET /api/students/me/copies/c1': json(200, resultFixture()),
      'GET /api/students/me/copies/c1/download': () => {
        n += 1
        return json(200, { url: `https://files.example/final-${n}.pdf?X-Amz-Signature=abc`, expires_in: 300 })
      },
    })
    view = await mountAt('/student/results/c1')
    await vi.waitFor(() => byTestId(root(), 'download-pdf'))
    const button = byTestId<HTMLButtonElement>(root(), 'download-pdf')
    expect(button.textContent!.trim()).toBe('Download my graded copy (PDF)')
    button.click()
    await vi.waitFor(() => expect(navigateTo).toHaveBeenCalledTimes(1))
    expect(navigateTo).toHaveBeenLastCalledWith('https://files.example/final-1.pdf?X-Amz-Signature=abc')
    await flush()
    button.click()
    await vi.waitFor(() => expect(navigateTo).toHaveBeenCalledTimes(2))
    expect(navigateTo).toHaveBeenLastCalledWith('https://files.example/final-2.pdf?X-Amz-Signature=abc')
    expect(calls.filter((c) => c.url === '/api/students/me/copies/c1/download')).toHaveLength(2)
    expect(calls.every((c) => c.method === 'GET' && c.credentials === 'same-origin')).toBe(true)
  })

  it('shows an error when the download link is refused, and does not navigate', async () => {
    mockFetch({
      'GET /api/students/me/copies/c1': json(200, resultFixture()),
      'GET /api/students/me/copies/c1/download': apiError(404, 'not_found', 'No such result.'),
    })
    view = await mountAt('/student/results/c1')
    await vi.waitFor(() => byTestId(root(), 'download-pdf'))
    byTestId<HTMLButtonElement>(root(), 'download-pdf').click()
    await vi.waitFor(() => byTestId(root(), 'download-error'))
    expect(byTestId(root(), 'download-error').textContent).toContain('not available')
    expect(navigateTo).not.toHaveBeenCalled()
  })

  it('says when a result is not available (404)', async () => {
    mockFetch({ 'GET /api/students/me/copies/zz': apiError(404, 'not_found', 'No such result.') })
    view = await mountAt('/student/results/zz')
    await vi.waitFor(() => byTestId(root(), 'result-error'))
    expect(byTestId(root(), 'result-error').textContent).toContain('not available')
    expect(root().querySelector('[data-testid="download-pdf"]')).toBeNull()
  })
})

// ---------------------------------------------------------------------------
// Admin: results tab
// ---------------------------------------------------------------------------

const statsFixture = {
  count: 6,
  mean: 12.333333,
  median: 12.5,
  stdev: 3.1,
  min: 7,
  max: 18,
  max_points: 20,
  histogram: [
    { from: 0, to: 5, count: 0 },
    { from: 5, to: 10, count: 1 },
    { from: 10, to: 15, count: 3 },
    { from: 15, to: 20, count: 2 },
  ],
  questions: [
    { id: 'q1', label: 'Exercise 1', max_points: 8, count: 6, mean: 5.5, median: 6, stdev: 1.2, min: 3, max: 8 },
    { id: 'q2', label: 'Exercise 2', max_points: 12, count: 0, mean: null, median: null, stdev: null, min: null, max: null },
  ],
}

const emptyStats = {
  count: 0,
  mean: null,
  median: null,
  stdev: null,
  min: null,
  max: null,
  max_points: 20,
  histogram: [],
  questions: [],
}

const emptyGradebook = { exam_id: 'ex1', max_points: 20, released_at: null, questions: [], rows: [] }

const nothingToCheck = {
  exam_id: 'ex1',
  released_at: null,
  attention_needed: false,
  students_without_copy: [],
  copies_not_graded: { count: 0, by_status: {}, copies: [] },
  copies_not_identified: [],
  students_cannot_sign_in: [],
}

describe('exam results tab', () => {
  it('is a tab of the exam page', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/stats': json(200, emptyStats),
      'GET /api/exams/ex1/gradebook': json(200, emptyGradebook),
    })
    view = await mountAt('/admin/exams/ex1/results')
    await vi.waitFor(() => byTestId(root(), 'release-toggle'))
    const tab = byTestId<HTMLAnchorElement>(root(), 'tab-results')
    expect(tab.getAttribute('href')).toBe('/admin/exams/ex1/results')
    expect(tab.getAttribute('aria-current')).toBe('page')
    expect(tab.textContent!.trim()).toBe('Results')
    await vi.waitFor(() => byTestId(root(), 'stats-empty'))
    expect(root().querySelector('[data-testid="stats-histogram"]')).toBeNull()
  })

  it('releases after confirmation, then withdraws the results', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ copy_counts: { GRADED: 28, READY: 2 } })),
      'GET /api/exams/ex1/stats': json(200, emptyStats),
      'GET /api/exams/ex1/gradebook': json(200, emptyGradebook),
      'GET /api/exams/ex1/release-check': json(200, nothingToCheck),
      'POST /api/exams/ex1/release': json(200, { released_at: '2025-06-20T08:00:00+00:00' }),
      'DELETE /api/exams/ex1/release': empty(204),
    })
    view = await mountAt('/admin/exams/ex1/results')
    await vi.waitFor(() => byTestId(root(), 'release-toggle'))
    expect(byTestId(root(), 'release-status').dataset.released).toBe('false')
    expect(byTestId(root(), 'release-status').textContent).toContain('Not released')

    // A click only asks for confirmation.
    byTestId<HTMLButtonElement>(root(), 'release-toggle').click()
    await flush()
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    expect(root().textContent).toContain('28 graded copies')
    expect(root().textContent).toContain('2 copies are not graded yet')
    // Cancel does nothing.
    byTestId<HTMLButtonElement>(root(), 'release-cancel').click()
    await flush()
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    byTestId<HTMLButtonElement>(root(), 'release-toggle').click()
    await flush()
    byTestId<HTMLButtonElement>(root(), 'release-confirm').click()
    await vi.waitFor(() => expect(byTestId(root(), 'release-status').dataset.released).toBe('true'))
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.url).toBe('/api/exams/ex1/release')
    expect(post.headers.get('X-CSRF-Token')).toBe('tok')
    const status = byTestId(root(), 'release-status')
    expect(status.textContent).toContain('Released')
    expect(status.querySelector('time')!.getAttribute('datetime')).toBe('2025-06-20T08:00:00+00:00')
    // The exam header follows.
    expect(root().querySelector('.exam-header .badge--released')).not.toBeNull()
    expect(byTestId(root(), 'release-toggle').textContent).toContain('Withdraw')

    byTestId<HTMLButtonElement>(root(), 'release-toggle').click()
    await flush()
    byTestId<HTMLButtonElement>(root(), 'release-confirm').click()
    await vi.waitFor(() => expect(byTestId(root(), 'release-status').dataset.released).toBe('false'))
    const del = calls.find((c) => c.method === 'DELETE')!
    expect(del.url).toBe('/api/exams/ex1/release')
    expect(del.headers.get('X-CSRF-Token')).toBe('tok')
    expect(byTestId(root(), 'release-message').textContent).toContain('withdrawn')
  })

  it('downloads the exports as files and shows the 409 message', async () => {
    const csv = '\uFEFFNOM;PRENOM;DATE_NAISSANCE;MATIERE;NOTE;COEFF;COMMENTAIRE\r\nDUPONT;Marie;01/02/2008;Maths;14,5;1;\r\n'
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/stats': json(200, emptyStats),
      'GET /api/exams/ex1/gradebook': json(200, emptyGradebook),
      'GET /api/exams/ex1/export.csv': apiError(409, 'conflict', 'No copy of this exam is graded yet.'),
      'GET /api/exams/ex1/pronote.csv': () =>
        new Response(csv, {
          status: 200,
          headers: {
            'Content-Type': 'text/csv; charset=utf-8',
            'Content-Disposition': 'attachment; filename="pronote-Maths-June.csv"',
          },
        }),
    })
    view = await mountAt('/admin/exams/ex1/results')
    await vi.waitFor(() => byTestId(root(), 'export-csv'))

    byTestId<HTMLButtonElement>(root(), 'export-csv').click()
    await vi.waitFor(() => byTestId(root(), 'export-error'))
    expect(byTestId(root(), 'export-error').textContent!.trim()).toBe('No copy of this exam is graded yet.')
    expect(saveBlob).not.toHaveBeenCalled()

    byTestId<HTMLButtonElement>(root(), 'export-pronote').click()
    await vi.waitFor(() => expect(saveBlob).toHaveBeenCalledTimes(1))
    const [blob, filename] = vi.mocked(saveBlob).mock.calls[0]!
    expect(filename).toBe('pronote-Maths-June.csv')
    const bytes = new Uint8Array(await blob.arrayBuffer())
    expect(Array.from(bytes.slice(0, 3))).toEqual([0xef, 0xbb, 0xbf]) // the BOM is kept
    expect(await blob.text()).toContain('DUPONT;Marie')
    await flush()
    expect(root().querySelector('[data-testid="export-error"]')).toBeNull()
    expect(byTestId(root(), 'export-status').textContent).toContain('pronote-Maths-June.csv')
    const exportCall = calls.find((c) => c.url === '/api/exams/ex1/pronote.csv')!
    expect(exportCall.credentials).toBe('same-origin')
  })

  it('shows the statistics, one histogram bar per bucket, and the questions', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ copy_counts: { GRADED: 6 } })),
      'GET /api/exams/ex1/stats': json(200, statsFixture),
      'GET /api/exams/ex1/gradebook': json(200, emptyGradebook),
    })
    view = await mountAt('/admin/exams/ex1/results')
    await vi.waitFor(() => byTestId(root(), 'stats-summary'))
    const summary = byTestId(root(), 'stats-summary')
    const stat = (key: string) => summary.querySelector(`[data-stat="${key}"] dd`)!.textContent!.replace(/\s+/g, ' ').trim()
    expect(stat('count')).toBe('6')
    expect(stat('mean')).toBe('12.33 / 20')
    expect(stat('median')).toBe('12.5 / 20')
    expect(stat('stdev')).toBe('3.1 / 20')
    expect(stat('min')).toBe('7 / 20')
    expect(stat('max')).toBe('18 / 20')

    const svg = byTestId<SVGSVGElement>(root(), 'stats-histogram')
    expect(svg.getAttribute('role')).toBe('img')
    const bars = allByTestId<SVGRectElement>(svg, 'histogram-bar')
    expect(bars).toHaveLength(4)
    expect(bars.every((b) => b.tagName.toLowerCase() === 'rect')).toBe(true)
    expect(bars.map((b) => b.querySelector('title')!.textContent)).toEqual(['0–5: 0', '5–10: 1', '10–15: 3', '15–20: 2'])
    const heights = bars.map((b) => Number(b.getAttribute('height')))
    expect(heights[0]).toBe(0)
    expect(heights[2]).toBeGreaterThan(heights[3]!)
    expect(heights[3]).toBeGreaterThan(heights[1]!)
    // Bars share the same baseline and go left to right.
    const bottoms = bars.map((b) => Number(b.getAttribute('y')) + Number(b.getAttribute('height')))
    expect(new Set(bottoms.map((v) => v.toFixed(3))).size).toBe(1)
    const xs = bars.map((b) => Number(b.getAttribute('x')))
    expect([...xs].sort((a, b) => a - b)).toEqual(xs)

    const rows = allByTestId(byTestId(root(), 'stats-questions'), 'stats-question-row')
    expect(rows).toHaveLength(2)
    expect(rows[0]!.textContent).toContain('Exercise 1')
    expect(rows[0]!.textContent).toContain('5.5')
    expect(rows[1]!.textContent).toContain('—')
    expect(byTestId<HTMLAnchorElement>(root(), 'exam-audit-link').getAttribute('href')).toBe('/admin/audit?exam_id=ex1')
  })
})

describe('exam results tab in French', () => {
  it('words the release, exports and statistics in French, with comma decimals', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ copy_counts: { GRADED: 6, READY: 1 } })),
      'GET /api/exams/ex1/stats': json(200, statsFixture),
      'GET /api/exams/ex1/gradebook': json(200, emptyGradebook),
      'GET /api/exams/ex1/export.csv': apiError(409, 'conflict', 'No copy of this exam is graded yet.'),
    })
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => byTestId(root(), 'stats-summary'))
    const summary = byTestId(root(), 'stats-summary')
    const stat = (key: string) => summary.querySelector(`[data-stat="${key}"] dd`)!.textContent!.replace(/\s+/g, ' ').trim()
    expect(stat('mean')).toBe('12,33 / 20')
    expect(summary.querySelector('[data-stat="stdev"] dt')!.textContent).toBe('Écart type')
    expect(byTestId(root(), 'release-status').textContent).toContain('Non publiés')
    expect(root().textContent).toContain('6 copies corrigées sur 7.')
    expect(byTestId(root(), 'release-toggle').textContent!.trim()).toBe('Publier les résultats…')
    expect(byTestId(root(), 'gradebook-empty').textContent).toBe('Aucun élève et aucune copie pour l’instant.')
    const svg = byTestId<SVGSVGElement>(root(), 'stats-histogram')
    expect(svg.querySelector('title')!.textContent).toBe('Répartition des totaux')
    expect(svg.querySelector('desc')!.textContent!.trim()).toBe('6 copies en 4 tranches de points sur 20.')
    const rows = allByTestId(byTestId(root(), 'stats-questions'), 'stats-question-row')
    expect(rows[0]!.textContent).toContain('5,5')

    byTestId<HTMLButtonElement>(root(), 'export-csv').click()
    await vi.waitFor(() => byTestId(root(), 'export-error'))
    expect(byTestId(root(), 'export-error').textContent!.trim()).toBe('Aucune copie de cet examen n’est encore corrigée.')
    expect(root().textContent).not.toMatch(/Release|Statistics|Download/)
  })
})

// The audit trail's tests are in audit.test.ts (its screen changed with issue 13).
