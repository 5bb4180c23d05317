/**
 * The student portal in French: the results as a table on a wide screen and as cards
 * on a phone (exam, date, grade "14,5 / 20", a download button), the detail page, and
 * notices that go away when the state changes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { navigateTo } from '../src/lib/download'
import { loadMe, resetSessionState } from '../src/stores/session'
import { apiError, json, mockFetch, student } from './helpers'
import { allByTestId, byTestId, flush, mountAt, type Mounted } from './mount'

vi.mock('../src/lib/download', () => ({ navigateTo: vi.fn(), saveBlob: vi.fn() }))

let view: Mounted | null = null
const root = () => view!.root
const text = (el: Element) => el.textContent!.replace(/\s+/g, ' ').trim()

/** A screen `width` px wide, as `window.matchMedia` answers the portal's max-width query. */
function screenWidth(width: number): void {
  vi.stubGlobal('matchMedia', (query: string) => {
    const max = Number(/max-width:\s*(\d+)px/.exec(query)?.[1] ?? Infinity)
    return { matches: width <= max, media: query, addEventListener: vi.fn(), removeEventListener: vi.fn() }
  })
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
      { id: 'q1', label: 'Exercice 1 — a', score: 4, max_points: 5, remark: 'Bonne méthode.' },
      { id: 'q2', label: 'Exercice 1 — b', score: 0.5, max_points: 5, remark: '' },
    ],
    appreciation: 'Travail sérieux.',
    released_at: '2025-06-20T08:00:00Z',
    ...overrides,
  }
}

const twoResults = () =>
  json(200, {
    copies: [
      resultFixture(),
      resultFixture({ id: 'c9', exam_name: 'Histoire', subject: 'Histoire', date: '2025-05-02', total: 9.25, max_points: 10 }),
    ],
  })

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
  vi.stubGlobal('scrollTo', vi.fn())
  vi.mocked(navigateTo).mockReset()
})

afterEach(() => {
  view?.unmount()
  view = null
  vi.unstubAllGlobals()
  resetClientState()
  resetSessionState()
})

describe('the student portal on a phone (390 × 844)', () => {
  it('shows each result as a card: exam, date, grade with a decimal comma, download', async () => {
    screenWidth(390)
    mockFetch({ 'GET /api/me': json(200, { user: student, csrf_token: 'tok' }), 'GET /api/students/me/copies': twoResults() })
    await loadMe()
    view = await mountAt('/student', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'result-row')).toHaveLength(2))
    expect(byTestId(root(), 'dashboard-title').textContent).toBe('Mes résultats')
    expect(root().querySelector('[data-testid="results-table"]')).toBeNull()
    const cards = allByTestId(root(), 'result-row')
    expect(cards.every((card) => card.tagName === 'LI' && card.classList.contains('result-card'))).toBe(true)
    expect(cards.map((card) => card.dataset.copyId)).toEqual(['c1', 'c9'])
    expect(text(byTestId(cards[0]!, 'result-link'))).toBe('Maths — juin')
    expect(text(byTestId(cards[0]!, 'result-date'))).toBe('12 juin 2025')
    expect(text(byTestId(cards[0]!, 'result-total'))).toBe('Note : 14,5 / 20')
    expect(text(byTestId(cards[1]!, 'result-total'))).toBe('Note : 9,25 / 10')
    const download = byTestId<HTMLButtonElement>(cards[0]!, 'result-download')
    expect(text(download)).toBe('Télécharger la copie')
    expect(download.getAttribute('aria-label')).toBe('Télécharger la copie corrigée de Maths — juin (PDF)')
    expect(byTestId<HTMLAnchorElement>(cards[1]!, 'result-link').getAttribute('href')).toBe('/student/results/c9')
  })

  it('downloads from the card with a fresh link', async () => {
    screenWidth(390)
    const { calls } = mockFetch({
      'GET /api/students/me/copies': twoResults(),
      'GET /api/students/me/copies/c9/download': json(200, { url: 'https://files.example/c9.pdf', expires_in: 300 }),
    })
    view = await mountAt('/student', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'result-row')).toHaveLength(2))
    byTestId<HTMLButtonElement>(allByTestId(root(), 'result-row')[1]!, 'result-download').click()
    await vi.waitFor(() => expect(navigateTo).toHaveBeenCalledWith('https://files.example/c9.pdf'))
    expect(calls.map((c) => c.url)).toContain('/api/students/me/copies/c9/download')
  })

  it('clears a download notice when the next download starts', async () => {
    screenWidth(390)
    let refuse = true
    mockFetch({
      'GET /api/students/me/copies': twoResults(),
      'GET /api/students/me/copies/c1/download': () =>
        refuse ? apiError(404, 'not_found', 'No such result.') : json(200, { url: 'https://files.example/c1.pdf', expires_in: 300 }),
    })
    view = await mountAt('/student', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'result-row')).toHaveLength(2))
    const download = () => byTestId<HTMLButtonElement>(allByTestId(root(), 'result-row')[0]!, 'result-download')
    download().click()
    await vi.waitFor(() => byTestId(root(), 'download-error'))
    expect(text(byTestId(root(), 'download-error'))).toBe(
      'La copie corrigée n’est pas (plus) disponible. Rechargez la page ou adressez-vous à votre établissement.',
    )
    expect(navigateTo).not.toHaveBeenCalled()
    refuse = false
    download().click()
    await vi.waitFor(() => expect(navigateTo).toHaveBeenCalledWith('https://files.example/c1.pdf'))
    await flush()
    expect(root().querySelector('[data-testid="download-error"]')).toBeNull()
  })
})

describe('the student portal on a wide screen', () => {
  it('keeps the table, in French', async () => {
    screenWidth(1366)
    mockFetch({ 'GET /api/students/me/copies': twoResults() })
    view = await mountAt('/student', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'result-row')).toHaveLength(2))
    expect(root().querySelector('[data-testid="results-cards"]')).toBeNull()
    const table = byTestId(root(), 'results-table')
    expect([...table.querySelectorAll('thead th')].map(text)).toEqual(['Examen', 'Matière', 'Date', 'Note', 'Actions'])
    expect(text(byTestId(allByTestId(root(), 'result-row')[0]!, 'result-total'))).toBe('14,5 / 20')
  })

  it('says in French when nothing is released', async () => {
    mockFetch({ 'GET /api/students/me/copies': json(200, { copies: [] }) })
    view = await mountAt('/student', 'fr')
    await vi.waitFor(() => byTestId(root(), 'no-results'))
    expect(text(byTestId(root(), 'no-results'))).toBe('Aucun résultat n’a encore été publié.')
  })
})

describe('one result, in French', () => {
  it('shows the scores with decimal commas, the remarks and the appreciation', async () => {
    mockFetch({ 'GET /api/students/me/copies/c1': json(200, resultFixture()) })
    view = await mountAt('/student/results/c1', 'fr')
    await vi.waitFor(() => byTestId(root(), 'result-title'))
    expect(text(byTestId(root(), 'result-total'))).toBe('14,5 / 20')
    const questions = allByTestId(root(), 'result-question')
    expect(text(byTestId(questions[1]!, 'result-question-score'))).toBe('0,5 / 5')
    expect(text(byTestId(root(), 'download-pdf'))).toBe('Télécharger ma copie corrigée (PDF)')
    expect(root().textContent).toContain('Points par question')
    expect(root().textContent).toContain('Appréciation')
    expect(root().textContent).toContain('Copie 7F3A-001')
    expect(text(root().querySelector('.breadcrumb')!)).toBe('← Mes résultats')
  })

  it('says a withdrawn result is not available', async () => {
    mockFetch({ 'GET /api/students/me/copies/zz': apiError(404, 'not_found', 'No such result.') })
    view = await mountAt('/student/results/zz', 'fr')
    await vi.waitFor(() => byTestId(root(), 'result-error'))
    expect(text(byTestId(root(), 'result-error'))).toBe('Ce résultat n’est pas disponible. Il a peut-être été retiré.')
  })
})
