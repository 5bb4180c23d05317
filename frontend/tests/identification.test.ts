import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import type { RosterStudent } from '../src/api/exams'
import { filterStudents, foldText } from '../src/lib/search'
import { apiError, json, mockFetch } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, press, typeInto, type Mounted } from './mount'

function student(id: string, first: string, last: string, extra: Partial<RosterStudent> = {}): RosterStudent {
  return {
    id,
    first_name: first,
    last_name: last,
    email: `${id}@school.test`,
    class_name: '3A',
    group: 'G1',
    student_number: `N${id}`,
    birth_date: '2009-04-03',
    ...extra,
  }
}

const STUDENTS = [
  student('s1', 'Éloïse', 'DUPONT'),
  student('s2', 'Marc', 'DUPOND'),
  student('s3', 'Léa', 'MARTIN'),
  student('s4', 'Noémie', 'LEFÈVRE'),
  student('s5', 'Zoé', 'Côté-Ngô', { class_name: '3B' }),
  student('s6', 'Jean', 'DE LA CŒUR'),
]

const QUEUE = [
  {
    id: 'c1',
    anonymous_id: '7F3A-001',
    header_url: '/api/copies/c1/header.png',
    ocr_text: 'Nom : DUPONT Eloise  Classe 3A',
    suggestions: [
      { student_id: 's2', name: 'DUPOND Marc', score: 0.41 },
      { student_id: 's1', name: 'DUPONT Éloïse', score: 0.93 },
    ],
    auto_student_id: 's1',
  },
  {
    id: 'c2',
    anonymous_id: '7F3A-002',
    header_url: '/api/copies/c2/header.png',
    ocr_text: 'M4RT1N',
    suggestions: [
      { student_id: 's3', name: 'MARTIN Léa', score: 0.55 },
      { student_id: 's2', name: 'DUPOND Marc', score: 0.3 },
    ],
    auto_student_id: null,
  },
  {
    id: 'c3',
    anonymous_id: '7F3A-003',
    header_url: '/api/copies/c3/header.png',
    ocr_text: '',
    suggestions: [],
    auto_student_id: null,
  },
]

describe('roster search', () => {
  it('folds accents, case, ligatures and punctuation', () => {
    expect(foldText('Éloïse')).toBe('eloise')
    expect(foldText("Côté-Ngô D'Arc")).toBe('cote ngo d arc')
    expect(foldText('DE LA CŒUR')).toBe('de la coeur')
  })

  it('is accent- and case-insensitive, in both directions', () => {
    const ids = (q: string) => filterStudents(STUDENTS, q).map((s) => s.id)
    expect(ids('eloise')).toEqual(['s1'])
    expect(ids('ÉLOÏSE')).toEqual(['s1'])
    expect(ids('lefevre')).toEqual(['s4'])
    expect(ids('noemie lefèvre')).toEqual(['s4'])
    expect(ids('cote ngo')).toEqual(['s5'])
    expect(ids('côté')).toEqual(['s5'])
    expect(ids('coeur')).toEqual(['s6'])
    expect(ids('dupon')).toEqual(['s2', 's1']) // DUPOND before DUPONT
    expect(ids('marc dup')).toEqual(['s2'])
    expect(ids('   ')).toEqual([])
    expect(ids('nobody')).toEqual([])
  })
})

describe('identification desk', () => {
  let view: Mounted | null = null

  beforeEach(() => {
    resetClientState()
    setCsrfToken('tok')
    vi.stubGlobal('scrollTo', vi.fn())
  })

  afterEach(() => {
    view?.unmount()
    view = null
    resetClientState()
  })

  function mockDesk(identify: (copyId: string, body: unknown) => Response = () => json(200, {})) {
    return mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ copy_counts: { STAGING: 3 } })),
      'GET /api/exams/ex1/identification': json(200, { copies: QUEUE }),
      'GET /api/exams/ex1/students': json(200, { students: STUDENTS }),
      'GET /api/exams/ex1/copies': json(200, { copies: [] }),
      'POST /api/copies/c1/identify': (c) => identify('c1', c.body),
      'POST /api/copies/c2/identify': (c) => identify('c2', c.body),
      'POST /api/copies/c3/identify': (c) => identify('c3', c.body),
    })
  }

  const root = () => view!.root
  const search = () => byTestId<HTMLInputElement>(root(), 'ident-search')
  const counter = () => byTestId(root(), 'ident-counter').textContent
  const options = () => allByTestId(root(), 'ident-suggestion')
  const selectedIds = () => options().filter((o) => o.dataset.selected === 'true').map((o) => o.dataset.studentId)

  async function open(): Promise<void> {
    view = await mountAt('/admin/exams/ex1/identification')
    await vi.waitFor(() => expect(counter()).toBe('1 / 3'))
    await flush()
  }

  it('Enter confirms the selected suggestion and moves to the next copy, with the arrows choosing', async () => {
    const posted: [string, unknown][] = []
    mockDesk((copyId, body) => {
      posted.push([copyId, body])
      return json(200, { id: copyId, status: 'READY' })
    })
    await open()

    // Copy 1: header, OCR text, ranked suggestions, the auto match pre-selected.
    expect(byTestId<HTMLImageElement>(root(), 'ident-header').getAttribute('src')).toBe('/api/copies/c1/header.png')
    expect(byTestId(root(), 'ident-ocr-text').textContent).toContain('DUPONT Eloise')
    expect(options().map((o) => o.dataset.studentId)).toEqual(['s1', 's2'])
    expect(options()[0]!.textContent).toContain('93 %')
    expect(byTestId(options()[0]!, 'ident-auto').textContent).toBe('auto — confirm')
    expect(selectedIds()).toEqual(['s1'])
    expect(document.activeElement).toBe(search())

    press(search(), 'Enter')
    await vi.waitFor(() => expect(counter()).toBe('2 / 3'))
    expect(posted).toEqual([['c1', { student_id: 's1' }]])
    expect(byTestId<HTMLImageElement>(root(), 'ident-header').getAttribute('src')).toBe('/api/copies/c2/header.png')

    // Copy 2: no confident match, so nothing is pre-selected and Enter alone does nothing.
    expect(selectedIds()).toEqual([])
    press(search(), 'Enter')
    await flush()
    expect(posted).toHaveLength(1)
    expect(byTestId(root(), 'ident-error').textContent).toContain('Choose a student')

    expect(press(search(), 'ArrowDown').defaultPrevented).toBe(true)
    await flush()
    expect(selectedIds()).toEqual(['s3'])
    press(search(), 'ArrowDown')
    await flush()
    expect(selectedIds()).toEqual(['s2'])
    press(search(), 'ArrowUp')
    await flush()
    expect(selectedIds()).toEqual(['s3'])
    // Not a confident match: the first Enter warns, the second one confirms.
    press(search(), 'Enter')
    await flush()
    expect(posted).toHaveLength(1)
    expect(byTestId(root(), 'ident-warning').textContent).toContain('No confident match for 7F3A-002')
    press(search(), 'Enter')
    await vi.waitFor(() => expect(counter()).toBe('3 / 3'))
    expect(posted[1]).toEqual(['c2', { student_id: 's3' }])
    expect(document.activeElement).toBe(search())

    // Copy 3: no suggestion; typing (without accents) searches the roster, Enter takes the best match.
    expect(options()).toHaveLength(0)
    typeInto(search(), 'noemie lefevre')
    await flush()
    expect(options().map((o) => o.dataset.studentId)).toEqual(['s4'])
    expect(selectedIds()).toEqual(['s4'])
    press(search(), 'Enter')
    await flush()
    press(search(), 'Enter')
    await vi.waitFor(() => byTestId(root(), 'ident-done'))
    expect(posted[2]).toEqual(['c3', { student_id: 's4' }])
    expect(byTestId(root(), 'ident-done').textContent).toContain('All copies are identified')
  })

  it('speaks French: the counter, the auto badge, the warning and the done message', async () => {
    mockDesk(() => json(200, {}))
    view = await mountAt('/admin/exams/ex1/identification', 'fr')
    await vi.waitFor(() => expect(counter()).toBe('1 / 3'))
    await flush()
    expect(root().textContent).toContain('Copie 1 / 3')
    expect(root().textContent).toContain('restent 3')
    expect(byTestId(options()[0]!, 'ident-auto').textContent).toBe('auto — à confirmer')
    expect(options()[0]!.textContent).toContain('93\u202f%')
    expect(byTestId(root(), 'ident-confirm').textContent!.trim()).toBe('Confirmer (Entrée)')

    press(search(), 'Enter')
    await vi.waitFor(() => expect(counter()).toBe('2 / 3'))
    press(search(), 'Enter')
    await flush()
    expect(byTestId(root(), 'ident-error').textContent).toBe('Choisissez d’abord un élève : ↓ sélectionne la première suggestion.')
    press(search(), 'ArrowDown')
    await flush()
    press(search(), 'Enter')
    await flush()
    expect(byTestId(root(), 'ident-warning').textContent).toContain('Aucune correspondance sûre pour 7F3A-002 : est-ce vraiment la copie de')
  })

  it('filters the roster as you type, ignoring accents and case; Escape goes back to the suggestions', async () => {
    mockDesk()
    await open()

    typeInto(search(), 'ELOISE')
    await flush()
    expect(options().map((o) => o.dataset.studentId)).toEqual(['s1'])
    // The score and the auto badge follow the student into the search results.
    expect(options()[0]!.textContent).toContain('93 %')

    typeInto(search(), 'côte')
    await flush()
    expect(options().map((o) => o.dataset.studentId)).toEqual(['s5'])

    typeInto(search(), 'dupon')
    await flush()
    expect(options().map((o) => o.dataset.studentId)).toEqual(['s2', 's1'])
    expect(selectedIds()).toEqual(['s2'])
    press(search(), 'ArrowDown')
    await flush()
    expect(selectedIds()).toEqual(['s1'])

    press(search(), 'Escape')
    await flush()
    expect(search().value).toBe('')
    expect(options().map((o) => o.dataset.studentId)).toEqual(['s1', 's2'])
    expect(selectedIds()).toEqual(['s1']) // the auto match again
  })

  it('Skip shows the next copy without identifying; a click selects a suggestion', async () => {
    const { calls } = mockDesk()
    await open()
    byTestId<HTMLButtonElement>(root(), 'ident-skip').click()
    await flush()
    expect(counter()).toBe('2 / 3')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    options()[1]!.click()
    await flush()
    expect(selectedIds()).toEqual(['s2'])
    expect(document.activeElement).toBe(search())
    byTestId<HTMLButtonElement>(root(), 'ident-confirm').click()
    await flush()
    byTestId<HTMLButtonElement>(root(), 'ident-warning-confirm').click()
    await vi.waitFor(() => expect(counter()).toBe('3 / 3'))
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({ url: '/api/copies/c2/identify', body: { student_id: 's2' } })
  })

  it('on 409 (already identified) reloads the list and goes on', async () => {
    let queue = QUEUE
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/identification': () => json(200, { copies: queue }),
      'GET /api/exams/ex1/students': json(200, { students: STUDENTS }),
      'GET /api/exams/ex1/copies': json(200, { copies: [] }),
      'POST /api/copies/c1/identify': () => {
        queue = QUEUE.slice(1) // someone else identified it meanwhile
        return apiError(409, 'conflict', 'This copy is not in STAGING.')
      },
    })
    await open()
    press(search(), 'Enter')
    await vi.waitFor(() => expect(counter()).toBe('1 / 2'))
    expect(byTestId<HTMLImageElement>(root(), 'ident-header').getAttribute('src')).toBe('/api/copies/c2/header.png')
    expect(byTestId(root(), 'ident-info').textContent).toContain('already identified')
  })

  it('warns before confirming a name other than the confident match; Escape goes back', async () => {
    const { calls } = mockDesk()
    await open()
    press(search(), 'ArrowDown') // from the auto match s1 to s2
    await flush()
    expect(selectedIds()).toEqual(['s2'])
    press(search(), 'Enter')
    await flush()
    expect(byTestId(root(), 'ident-warning').textContent).toContain('DUPOND Marc is not the confident match (DUPONT Éloïse)')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    press(search(), 'Escape')
    await flush()
    expect(root().querySelector('[data-testid="ident-warning"]')).toBeNull()
    press(search(), 'ArrowUp')
    await flush()
    press(search(), 'Enter') // the confident match: no warning
    await vi.waitFor(() => expect(counter()).toBe('2 / 3'))
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.body)).toEqual([{ student_id: 's1' }])
  })

  it('Undo sends the last confirmed copy back to the desk', async () => {
    let queue = QUEUE
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/identification': () => json(200, { copies: queue, identified: [], students_without_copy: [] }),
      'GET /api/exams/ex1/students': json(200, { students: STUDENTS }),
      'GET /api/exams/ex1/copies': json(200, { copies: [] }),
      'POST /api/copies/c1/identify': () => {
        queue = QUEUE.slice(1)
        return json(200, { id: 'c1', status: 'READY', student: { id: 's1', name: 'DUPONT Éloïse' } })
      },
      'POST /api/copies/c1/unidentify': () => {
        queue = QUEUE
        return json(200, { id: 'c1', status: 'STAGING', student: null })
      },
    })
    await open()
    press(search(), 'Enter')
    await vi.waitFor(() => expect(byTestId(root(), 'ident-last').textContent).toContain('DUPONT Éloïse'))
    byTestId<HTMLButtonElement>(root(), 'ident-undo').click()
    await vi.waitFor(() => expect(byTestId(root(), 'ident-anonymous-id').textContent).toBe('7F3A-001'))
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual([
      '/api/copies/c1/identify',
      '/api/copies/c1/unidentify',
    ])
    expect(byTestId(root(), 'ident-info').textContent).toContain('7F3A-001 is back to be identified')
    expect(root().querySelector('[data-testid="ident-last"]')).toBeNull()
  })

  it('lists the students without a copy and changes the student of an identified copy (undo gives it back)', async () => {
    const identified = [
      { id: 'c9', anonymous_id: '7F3A-009', header_url: '/h9', ocr_text: 'ZOE', suggestions: [], status: 'READY',
        student: { id: 's5', name: 'CÔTÉ-NGÔ Zoé' } },
    ]
    const posted: unknown[] = []
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/identification': json(200, {
        copies: QUEUE,
        identified,
        students_without_copy: [{ id: 's6', name: 'DE LA CŒUR Jean' }],
      }),
      'GET /api/exams/ex1/students': json(200, { students: STUDENTS }),
      'GET /api/exams/ex1/copies': json(200, { copies: [] }),
      'POST /api/copies/c9/identify': (c) => {
        posted.push(c.body)
        return json(200, { id: 'c9', status: 'READY' })
      },
    })
    await open()
    expect(allByTestId(root(), 'ident-without-copy-student').map((li) => li.textContent)).toEqual(['DE LA CŒUR Jean'])

    byTestId<HTMLInputElement>(root(), 'ident-show-identified').click()
    await flush()
    expect(byTestId(root(), 'ident-identified-row').textContent).toContain('CÔTÉ-NGÔ Zoé')
    byTestId<HTMLButtonElement>(root(), 'ident-change').click()
    await flush()
    expect(byTestId(root(), 'ident-anonymous-id').textContent).toBe('7F3A-009')
    expect(byTestId(root(), 'ident-correcting').textContent).toContain('now CÔTÉ-NGÔ Zoé')
    expect(document.activeElement).toBe(search())

    typeInto(search(), 'jean')
    await flush()
    press(search(), 'Enter')
    await flush()
    expect(byTestId(root(), 'ident-warning').textContent).toContain('is now CÔTÉ-NGÔ Zoé: give it to DE LA CŒUR Jean instead?')
    press(search(), 'Enter')
    await vi.waitFor(() => expect(posted).toEqual([{ student_id: 's6' }]))
    await vi.waitFor(() => expect(byTestId(root(), 'ident-anonymous-id').textContent).toBe('7F3A-001'))

    byTestId<HTMLButtonElement>(root(), 'ident-undo').click()
    await vi.waitFor(() => expect(posted).toEqual([{ student_id: 's6' }, { student_id: 's5' }]))
    await vi.waitFor(() => expect(byTestId(root(), 'ident-info').textContent).toContain("CÔTÉ-NGÔ Zoé's copy again"))
  })

  it('shows the done state when nothing waits for identification', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/identification': json(200, { copies: [] }),
      'GET /api/exams/ex1/students': json(200, { students: STUDENTS }),
      'GET /api/exams/ex1/copies': json(200, { copies: [] }),
    })
    view = await mountAt('/admin/exams/ex1/identification')
    await vi.waitFor(() => byTestId(root(), 'ident-done'))
    expect(root().querySelector('[data-testid="ident-counter"]')).toBeNull()
  })
})
