import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { copyFixture } from './gradingFixtures'
import { json, mockFetch, type Call } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, type Mounted } from './mount'

let view: Mounted | null = null
const root = () => view!.root
const q = <T extends Element = HTMLElement>(id: string) => byTestId<T>(root(), id)
const calls = (all: Call[], method: string, path: string) => all.filter((c) => c.method === method && c.url.split('?')[0] === path)

const scheme = {
  nodes: [
    {
      id: 'ex1',
      label: 'Exercice 1',
      points: 6,
      children: [
        { id: 'q1', label: 'a', points: 2, children: [] },
        { id: 'q2', label: 'b', points: 4, children: [] },
      ],
    },
  ],
}
const copies = [
  { id: 'c3', anonymous_id: '7F3A-003', status: 'STAGING', page_count: 3, teacher_id: null, teacher_username: null, student: null },
  { id: 'c2', anonymous_id: '7F3A-002', status: 'READY', page_count: 3, teacher_id: null, teacher_username: null, student: { id: 's2', name: 'DUPOND Marc' } },
  { id: 'c1', anonymous_id: '7F3A-001', status: 'READY', page_count: 3, teacher_id: null, teacher_username: null, student: { id: 's1', name: 'DUPONT Éloïse' } },
]

function routes(exam = examFixture({ marking_scheme: scheme, max_points: 6 })) {
  let current: Record<string, unknown> = exam
  return {
    'GET /api/exams/ex1': () => json(200, current),
    'GET /api/exams/ex1/copies': json(200, { copies }),
    'GET /api/copies/c1': json(200, copyFixture()),
    'PUT /api/exams/ex1/question-dispatch': (c: Call) => {
      const body = c.body as { mode: string; assignments: Record<string, string[]> }
      current = { ...current, grading_mode: body.mode, question_teachers: body.assignments }
      return json(200, current)
    },
    'PUT /api/exams/ex1/question-regions': (c: Call) => {
      current = { ...current, question_regions: (c.body as { regions: unknown }).regions }
      return json(200, current)
    },
  }
}

// The exam page and its tabs are lazy routes: load them once up front, not inside the first test's time.
beforeAll(async () => {
  await import('../src/views/ExamDetailView.vue')
  await import('../src/views/exam/ExamDispatch.vue')
  await import('../src/views/exam/ExamResults.vue')
}, 60_000)

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
})

afterEach(() => {
  view?.unmount()
  view = null
  resetClientState()
})

describe('dispatch by question', () => {
  it('chooses "par question", each question to one or more teachers, and refuses a question without one', async () => {
    const { calls: all } = mockFetch(routes())
    view = await mountAt('/admin/exams/ex1/dispatch', 'fr')
    await vi.waitFor(() => q('question-dispatch'))
    expect((q<HTMLInputElement>('grading-mode-copy')).checked).toBe(true)
    q<HTMLInputElement>('grading-mode-question').click()
    await flush()
    const rows = allByTestId(root(), 'question-teachers-row')
    expect(rows.map((r) => r.querySelector('th')!.textContent!.trim())).toEqual(['Exercice 1 › a (2)', 'Exercice 1 › b (4)'])
    const box = (question: string, teacher: string) =>
      root().querySelector<HTMLInputElement>(`[data-question-id="${question}"] [data-testid="question-teacher"][data-teacher="${teacher}"]`)!
    box('q1', 'tess').click()
    await flush()
    q('question-dispatch-save').click()
    await flush()
    expect(q('question-dispatch-error').textContent).toContain('au moins un enseignant : Exercice 1 › b')
    expect(calls(all, 'PUT', '/api/exams/ex1/question-dispatch')).toHaveLength(0)

    box('q2', 'tess').click()
    await flush()
    box('q2', 'tom').click()
    await flush()
    q('question-dispatch-save').click()
    await vi.waitFor(() => expect(q('question-dispatch-saved').textContent).toContain('Répartition enregistrée'))
    expect(calls(all, 'PUT', '/api/exams/ex1/question-dispatch')[0]!.body).toEqual({
      mode: 'QUESTION',
      assignments: { q1: ['t1'], q2: ['t1', 't2'] },
    })
  })

  it('sets a question’s region on the first identified copy, by drawing on the page or typing percents', async () => {
    const { calls: all } = mockFetch(routes(examFixture({ marking_scheme: scheme, max_points: 6, grading_mode: 'QUESTION', question_teachers: { q1: ['t1'], q2: ['t2'] } })))
    view = await mountAt('/admin/exams/ex1/dispatch', 'fr')
    await vi.waitFor(() => expect(q('region-sample').textContent).toContain('7F3A-001'))
    expect(calls(all, 'GET', '/api/copies/c1')).toHaveLength(1)
    const row = (id: string) => root().querySelector<HTMLElement>(`[data-testid="region-row"][data-question-id="${id}"]`)!
    // q1: page 2, drawn with the mouse.
    const page = row('q1').querySelector<HTMLSelectElement>('[data-testid="region-page"]')!
    expect(Array.from(page.options).map((o) => o.textContent)).toEqual(['Page 1', 'Page 2', 'Page 3'])
    page.value = '1'
    page.dispatchEvent(new Event('change', { bubbles: true }))
    await flush()
    row('q1').querySelector<HTMLButtonElement>('[data-testid="region-draw"]')!.click()
    await flush()
    const picker = q('region-picker')
    expect(picker.querySelector('img')!.getAttribute('src')).toBe('/img/c1/1.jpg')
    vi.spyOn(picker, 'getBoundingClientRect').mockReturnValue({ left: 0, top: 0, width: 500, height: 700, right: 500, bottom: 700, x: 0, y: 0, toJSON: () => ({}) })
    const pointer = (type: string, x: number, y: number) => {
      const e = new MouseEvent(type, { clientX: x, clientY: y, bubbles: true, button: 0 })
      Object.defineProperty(e, 'pointerId', { value: 1 })
      picker.dispatchEvent(e)
    }
    pointer('pointerdown', 50, 140)
    pointer('pointermove', 300, 300)
    pointer('pointerup', 450, 490)
    await flush()
    expect(row('q1').querySelector<HTMLInputElement>('[data-testid="region-x"]')!.value).toBe('10')
    expect(row('q1').querySelector<HTMLInputElement>('[data-testid="region-h"]')!.value).toBe('50')
    // q2: typed, out of the page first.
    const field = (id: string, k: string) => row(id).querySelector<HTMLInputElement>(`[data-testid="region-${k}"]`)!
    page.dispatchEvent(new Event('change', { bubbles: true })) // enables q1 (already)
    const page2 = row('q2').querySelector<HTMLSelectElement>('[data-testid="region-page"]')!
    page2.value = '2'
    page2.dispatchEvent(new Event('change', { bubbles: true }))
    await flush()
    const set = (k: string, v: string) => {
      field('q2', k).value = v
      field('q2', k).dispatchEvent(new Event('input', { bubbles: true }))
    }
    set('x', '50')
    set('y', '0')
    set('w', '60')
    set('h', '40')
    await flush()
    q('regions-save').click()
    await flush()
    expect(q('regions-error').textContent).toContain('Exercice 1 › b')
    expect(calls(all, 'PUT', '/api/exams/ex1/question-regions')).toHaveLength(0)
    set('w', '50')
    await flush()
    q('regions-save').click()
    await vi.waitFor(() => expect(q('regions-saved').textContent).toContain('Zones enregistrées'))
    expect(calls(all, 'PUT', '/api/exams/ex1/question-regions')[0]!.body).toEqual({
      regions: {
        q1: { page: 1, x: 0.1, y: 0.2, w: 0.8, h: 0.5 },
        q2: { page: 2, x: 0.5, y: 0, w: 0.5, h: 0.4 },
      },
    })
  })
})

describe('finalising in question mode', () => {
  it('an admin finalises a copy whose questions are all scored, and is told which are missing otherwise', async () => {
    const { calls: all } = mockFetch({
      ...routes(examFixture({ marking_scheme: scheme, max_points: 6, grading_mode: 'QUESTION', question_teachers: { q1: ['t1'], q2: ['t2'] } })),
      'POST /api/copies/c1/finalise-questions': json(422, {
        error: { code: 'unprocessable', message: 'Some questions have no score.', reason: 'scores_missing' },
        missing: ['q2'],
      }),
      'POST /api/copies/c2/finalise-questions': json(202, { status: 'GRADING_IN_PROGRESS' }),
    })
    view = await mountAt('/admin/exams/ex1/dispatch', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'copy-finalise-questions')).toHaveLength(2))
    const button = (anon: string) =>
      root().querySelector<HTMLButtonElement>(`[data-testid="copy-row"][data-anonymous-id="${anon}"] [data-testid="copy-finalise-questions"]`)!
    button('7F3A-001').click()
    await vi.waitFor(() => expect(q('copy-reassign-message').textContent).toContain('Questions sans note : b.'))
    button('7F3A-002').click()
    await vi.waitFor(() => expect(q('copy-reassign-message').textContent).toContain('La copie 7F3A-002 est finalisée'))
    expect(calls(all, 'POST', '/api/copies/c2/finalise-questions')).toHaveLength(1)
  })
})

describe('per-item rubric statistics', () => {
  it('shows how many copies got each item under its question', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ marking_scheme: scheme, max_points: 6, released_at: null })),
      'GET /api/exams/ex1/stats': json(200, {
        count: 2, mean: 3, median: 3, stdev: 1, min: 2, max: 4, max_points: 6, histogram: [],
        questions: [{ id: 'q1', label: 'Exercice 1 › a', max_points: 2, count: 2, mean: 1, median: 1, stdev: 0, min: 1, max: 1 }],
        rubric: [
          { question_id: 'q1', item_id: 'r1', label: 'Méthode juste', points: 1.5, kind: 'delta', count: 2 },
          { question_id: 'q1', item_id: 'r2', label: 'Tout faux', points: 0, kind: 'absolute', count: 0 },
        ],
      }),
      'GET /api/exams/ex1/gradebook': json(200, { exam_id: 'ex1', max_points: 6, released_at: null, questions: [], rows: [] }),
      'GET /api/exams/ex1/release-check': json(200, { ready: false, warnings: [] }),
    })
    view = await mountAt('/admin/exams/ex1/results', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'stats-rubric-row')).toHaveLength(2))
    const cells = allByTestId(root(), 'stats-rubric-row').map((r) => Array.from(r.children).map((c) => c.textContent!.trim()))
    expect(cells).toEqual([
      ['Exercice 1 › a', 'Méthode juste', '+1,5', '2'],
      ['Exercice 1 › a', 'Tout faux', '= 0', '0'],
    ])
    expect(q('stats-rubric').textContent).toContain('Copies')
  })
})
