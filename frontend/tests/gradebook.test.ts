import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { GradebookRow } from '../src/api/results'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { saveBlob } from '../src/lib/download'
import { nextSort, sortRows } from '../src/lib/gradebook'
import { resetSessionState } from '../src/stores/session'
import { json, mockFetch } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, type Mounted } from './mount'

vi.mock('../src/lib/download', () => ({ navigateTo: vi.fn(), saveBlob: vi.fn() }))

const student = (id: string, last: string, first: string, class_name: string | null = '3e B') => ({
  id,
  last_name: last,
  first_name: first,
  class_name,
  group: null,
  student_number: null,
})

const row = (over: Partial<GradebookRow>): GradebookRow => ({ student: null, copy: null, scores: {}, total: null, ...over })

const rows: GradebookRow[] = [
  row({ student: student('s2', 'Martin', 'Ben', '3e A'), copy: { id: 'c2', anonymous_id: 'K-002', status: 'LOCKED' }, scores: { q1: 4, q2: null }, total: 4 }),
  row({ student: student('s1', 'Dupont', 'Ana'), copy: { id: 'c1', anonymous_id: 'K-001', status: 'GRADED' }, scores: { q1: 6, q2: 8.25 }, total: 14.25 }),
  row({ copy: { id: 'c9', anonymous_id: 'K-009', status: 'STAGING' }, scores: { q1: null, q2: null } }),
  row({ student: student('s3', 'Étienne', 'Cléo', null), scores: { q1: null, q2: null } }),
  row({ student: student('s4', 'Roux', 'Dan'), copy: { id: 'c4', anonymous_id: 'K-004', status: 'GRADED' }, scores: { q1: 8, q2: 10 }, total: 18 }),
]

const names = (sorted: GradebookRow[]) => sorted.map((r) => r.student?.last_name ?? r.copy?.anonymous_id)

describe('sorting the gradebook', () => {
  it('sorts by name (accents folded), the unidentified copies last in both directions', () => {
    expect(names(sortRows(rows, { column: 'name', direction: 'asc' }))).toEqual(['Dupont', 'Étienne', 'Martin', 'Roux', 'K-009'])
    expect(names(sortRows(rows, { column: 'name', direction: 'desc' }))).toEqual(['Roux', 'Martin', 'Étienne', 'Dupont', 'K-009'])
  })

  it('sorts totals and questions as numbers, empty cells last, ties by name', () => {
    expect(names(sortRows(rows, { column: 'total', direction: 'desc' }))).toEqual(['Roux', 'Dupont', 'Martin', 'Étienne', 'K-009'])
    expect(names(sortRows(rows, { column: 'total', direction: 'asc' }))).toEqual(['Martin', 'Dupont', 'Roux', 'Étienne', 'K-009'])
    expect(names(sortRows(rows, { column: 'q:q2', direction: 'asc' }))).toEqual(['Dupont', 'Roux', 'Étienne', 'Martin', 'K-009'])
  })

  it('sorts statuses in the order of the work, students without a copy last', () => {
    expect(names(sortRows(rows, { column: 'status', direction: 'asc' }))).toEqual(['K-009', 'Martin', 'Dupont', 'Roux', 'Étienne'])
    expect(names(sortRows(rows, { column: 'class', direction: 'asc' }))).toEqual(['Martin', 'Dupont', 'Roux', 'Étienne', 'K-009'])
  })

  it('flips the direction on the same column; scores start with the best', () => {
    expect(nextSort({ column: 'name', direction: 'asc' }, 'name')).toEqual({ column: 'name', direction: 'desc' })
    expect(nextSort({ column: 'name', direction: 'asc' }, 'total')).toEqual({ column: 'total', direction: 'desc' })
    expect(nextSort({ column: 'total', direction: 'desc' }, 'class')).toEqual({ column: 'class', direction: 'asc' })
    expect(nextSort({ column: 'class', direction: 'asc' }, 'q:q1')).toEqual({ column: 'q:q1', direction: 'desc' })
  })
})

// ---------------------------------------------------------------------------
// The results tab, in French
// ---------------------------------------------------------------------------

const gradebook = {
  exam_id: 'ex1',
  max_points: 20,
  released_at: null,
  questions: [
    { id: 'q1', label: 'Exercice 1', max_points: 8 },
    { id: 'q2', label: 'Exercice 2 › a', max_points: 12 },
  ],
  rows,
}

const emptyStats = { count: 0, mean: null, median: null, stdev: null, min: null, max: null, max_points: 20, histogram: [], questions: [] }

const check = {
  exam_id: 'ex1',
  released_at: null,
  attention_needed: true,
  students_without_copy: [student('s3', 'Étienne', 'Cléo', null)],
  copies_not_graded: {
    count: 2,
    by_status: { STAGING: 1, LOCKED: 1 },
    copies: [
      { id: 'c2', anonymous_id: 'K-002', status: 'LOCKED' },
      { id: 'c9', anonymous_id: 'K-009', status: 'STAGING' },
    ],
  },
  copies_not_identified: [{ id: 'c9', anonymous_id: 'K-009', status: 'STAGING' }],
  students_cannot_sign_in: [{ ...student('s4', 'Roux', 'Dan'), reasons: ['disabled', 'initial_password_expired'] }],
}

let view: Mounted | null = null
const root = () => view!.root
// Collapses the template's layout whitespace, not the narrow no-break spaces of French typography.
const text = (el: Element) => el.textContent!.replace(/[ \n\t]+/g, ' ').trim()

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
  vi.stubGlobal('scrollTo', vi.fn())
})

afterEach(() => {
  view?.unmount()
  view = null
  resetClientState()
  resetSessionState()
})

function routes(extra: Record<string, Response | (() => Response)> = {}) {
  return mockFetch({
    'GET /api/exams/ex1': json(200, examFixture({ copy_counts: { GRADED: 2, LOCKED: 1, STAGING: 1 } })),
    'GET /api/exams/ex1/stats': json(200, emptyStats),
    'GET /api/exams/ex1/gradebook': json(200, gradebook),
    ...extra,
  })
}

describe('gradebook (results tab)', () => {
  it('shows students × questions in French: comma decimals, plain statuses, links to the copies', async () => {
    routes()
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'gradebook-row')).toHaveLength(5))
    const table = byTestId(root(), 'gradebook-table')
    const headers = Array.from(table.querySelectorAll('thead th')).map((th) =>
      [th.querySelector('.gradebook__label'), th.querySelector('.gradebook__max')].filter((el) => el !== null).map((el) => text(el!)).join(' '),
    )
    expect(headers).toEqual(['Élève', 'Classe', 'Groupe', 'N° élève', 'Copie', 'Statut', 'Exercice 1 / 8', 'Exercice 2 › a / 12', 'Total / 20'])

    const shown = allByTestId(root(), 'gradebook-row')
    // By name, the copy nobody is identified on last.
    expect(shown.map((r) => text(byTestId(r, 'gradebook-name')))).toEqual([
      'Dupont Ana',
      'Étienne Cléo',
      'Martin Ben',
      'Roux Dan',
      'Copie non identifiée',
    ])
    const [ana, cleo, ben] = shown
    expect(allByTestId(ana!, 'gradebook-score').map(text)).toEqual(['6', '8,25'])
    expect(text(byTestId(ana!, 'gradebook-total'))).toBe('14,25')
    expect(text(byTestId(ana!, 'gradebook-status'))).toBe('Corrigée')
    expect(byTestId(ana!, 'gradebook-copy-link').getAttribute('href')).toBe('/teacher/copies/c1')
    expect(text(byTestId(cleo!, 'gradebook-status'))).toBe('Sans copie')
    expect(cleo!.querySelector('[data-testid="gradebook-copy-link"]')).toBeNull()
    expect(text(byTestId(ben!, 'gradebook-status'))).toBe('En correction')
    expect(byTestId(ben!, 'gradebook-total').classList.contains('gradebook__cell--provisional')).toBe(true)
    expect(root().textContent).not.toMatch(/GRADED|LOCKED|STAGING|14\.25/)
    expect(text(byTestId(root(), 'gradebook-count'))).toBe('5 lignes')
  })

  it('sorts on a click on a column header, again for the other direction', async () => {
    routes()
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'gradebook-row')).toHaveLength(5))
    const header = (column: string) => root().querySelector<HTMLTableCellElement>(`thead th[data-column="${column}"]`)!
    const sortButton = (column: string) => root().querySelector<HTMLButtonElement>(`[data-testid="gradebook-sort"][data-column="${column}"]`)!
    const order = () => allByTestId(root(), 'gradebook-row').map((r) => r.dataset.copyId || r.dataset.studentId)
    expect(header('name').getAttribute('aria-sort')).toBe('ascending')

    sortButton('total').click()
    await flush()
    expect(order()).toEqual(['c4', 'c1', 'c2', 's3', 'c9'])
    expect(header('total').getAttribute('aria-sort')).toBe('descending')
    expect(header('name').getAttribute('aria-sort')).toBe('none')

    sortButton('total').click()
    await flush()
    expect(order()).toEqual(['c2', 'c1', 'c4', 's3', 'c9'])

    sortButton('status').click()
    await flush()
    expect(order()).toEqual(['c9', 'c2', 'c1', 'c4', 's3'])
  })

  it('prints only the gradebook, on A4 landscape', async () => {
    routes()
    const print = vi.fn()
    vi.stubGlobal('print', print)
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'gradebook-row')).toHaveLength(5))
    expect(document.body.classList.contains('print-gradebook')).toBe(true)
    expect(document.getElementById('gradebook-print-page')!.textContent).toContain('A4 landscape')
    const button = byTestId<HTMLButtonElement>(root(), 'gradebook-print')
    expect(text(button)).toBe('Imprimer')
    button.click()
    expect(print).toHaveBeenCalledTimes(1)

    view.unmount()
    view = null
    expect(document.body.classList.contains('print-gradebook')).toBe(false)
    expect(document.getElementById('gradebook-print-page')).toBeNull()
  })
})

describe('gradebook CSV', () => {
  it('downloads the gradebook as a file', async () => {
    vi.mocked(saveBlob).mockReset()
    const { calls } = routes({
      'GET /api/exams/ex1/gradebook.csv': () =>
        new Response('\uFEFFNom;Prénom\r\n', {
          status: 200,
          headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="releve-Maths.csv"' },
        }),
    })
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'gradebook-row')).toHaveLength(5))
    const button = byTestId<HTMLButtonElement>(root(), 'gradebook-csv')
    expect(text(button)).toBe('Télécharger (CSV)')
    button.click()
    await vi.waitFor(() => expect(saveBlob).toHaveBeenCalledTimes(1))
    expect(vi.mocked(saveBlob).mock.calls[0]![1]).toBe('releve-Maths.csv')
    expect(calls.some((c) => c.url === '/api/exams/ex1/gradebook.csv')).toBe(true)
    await vi.waitFor(() => byTestId(root(), 'gradebook-csv-status'))
    expect(text(byTestId(root(), 'gradebook-csv-status'))).toBe('Fichier «\u202freleve-Maths.csv\u202f» téléchargé.')
  })
})

describe('release warnings', () => {
  it('lists what needs attention before asking to confirm, and releasing stays possible', async () => {
    const { calls } = routes({
      'GET /api/exams/ex1/release-check': json(200, check),
      'POST /api/exams/ex1/release': json(200, { released_at: '2025-06-20T08:00:00+00:00' }),
    })
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => byTestId(root(), 'release-toggle'))
    expect(text(byTestId(root(), 'release-toggle'))).toBe('Publier les résultats…')

    byTestId<HTMLButtonElement>(root(), 'release-toggle').click()
    await vi.waitFor(() => byTestId(root(), 'release-warnings'))
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    const warnings = allByTestId(root(), 'release-warning')
    expect(warnings.map((w) => w.dataset.kind)).toEqual(['without-copy', 'not-graded', 'not-identified', 'cannot-sign-in'])
    expect(text(warnings[0]!)).toContain('1 élève de la liste n’a pas de copie')
    expect(text(warnings[0]!)).toContain('Étienne Cléo')
    expect(text(warnings[1]!)).toContain('2 copies ne sont pas corrigées')
    expect(allByTestId(warnings[1]!, 'release-warning-item').map(text)).toEqual(['À identifier\u202f: 1', 'En correction\u202f: 1'])
    expect(text(warnings[2]!)).toContain('K-009')
    expect(text(warnings[3]!)).toContain('Roux Dan · 3e B — compte désactivé, mot de passe initial expiré (en délivrer un nouveau)')
    const confirm = byTestId<HTMLButtonElement>(root(), 'release-confirm')
    expect(text(confirm)).toBe('Publier quand même')
    expect(confirm.dataset.attention).toBe('true')

    confirm.click()
    await vi.waitFor(() => expect(byTestId(root(), 'release-status').dataset.released).toBe('true'))
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/api/exams/ex1/release'])
    expect(byTestId(root(), 'release-status').textContent).toContain('Publiés')
  })

  it('says nothing needs attention, and cancel releases nothing', async () => {
    const clear = {
      ...check,
      attention_needed: false,
      students_without_copy: [],
      copies_not_graded: { count: 0, by_status: {}, copies: [] },
      copies_not_identified: [],
      students_cannot_sign_in: [],
    }
    const { calls } = routes({ 'GET /api/exams/ex1/release-check': json(200, clear) })
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => byTestId(root(), 'release-toggle'))
    byTestId<HTMLButtonElement>(root(), 'release-toggle').click()
    await vi.waitFor(() => byTestId(root(), 'release-warnings-none'))
    expect(root().querySelector('[data-testid="release-warnings"]')).toBeNull()
    expect(text(byTestId(root(), 'release-confirm'))).toBe('Oui, les publier')
    byTestId<HTMLButtonElement>(root(), 'release-cancel').click()
    await flush()
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    expect(root().querySelector('[data-testid="release-confirm"]')).toBeNull()
  })

  it('still lets the admin release when the check fails', async () => {
    routes({
      'GET /api/exams/ex1/release-check': json(500, { error: { code: 'internal', message: 'boom' } }),
      'POST /api/exams/ex1/release': json(200, { released_at: '2025-06-20T08:00:00+00:00' }),
    })
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => byTestId(root(), 'release-toggle'))
    byTestId<HTMLButtonElement>(root(), 'release-toggle').click()
    await vi.waitFor(() => byTestId(root(), 'release-check-error'))
    expect(byTestId(root(), 'release-check-error').textContent).toContain('Impossible de vérifier')
    byTestId<HTMLButtonElement>(root(), 'release-confirm').click()
    await vi.waitFor(() => expect(byTestId(root(), 'release-status').dataset.released).toBe('true'))
  })
})
