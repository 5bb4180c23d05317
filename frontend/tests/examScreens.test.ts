import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { loadMe, resetSessionState } from '../src/stores/session'
import { previewCsv } from '../src/lib/csvPreview'
import { formatBytes } from '../src/lib/format'
import { apiError, json, mockFetch, staffAdmin } from './helpers'
import { allByTestId, byTestId, chooseFiles, examFixture, flush, mountAt, typeInto, type Mounted } from './mount'

let view: Mounted | null = null
const root = () => view!.root

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

describe('navigation', () => {
  it('shows "Exams" to admins, lit on every exam page', async () => {
    mockFetch({
      'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'tok' }),
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/users': json(200, { users: [] }),
    })
    await loadMe()
    view = await mountAt('/admin/exams/ex1/teachers')
    await vi.waitFor(() => byTestId(root(), 'exam-title'))
    const nav = byTestId<HTMLAnchorElement>(root(), 'exams-nav')
    expect(nav.getAttribute('href')).toBe('/admin/exams')
    expect(nav.classList.contains('is-active')).toBe(true)
    expect(nav.getAttribute('aria-current')).toBe('page')
    expect(byTestId(root(), 'tab-teachers').getAttribute('aria-current')).toBe('page')
    expect(byTestId(root(), 'tab-settings').getAttribute('aria-current')).toBeNull()
    const dashboard = Array.from(root().querySelectorAll('.mainnav__link')).find((a) => a.textContent?.trim() === 'Dashboard')!
    expect(dashboard.classList.contains('is-active')).toBe(false)
  })
})

function select(el: HTMLSelectElement, value: string): void {
  el.value = value
  el.dispatchEvent(new Event('change', { bubbles: true }))
}

describe('exams list and creation', () => {
  it('lists the exams and creates one (pages per copy only in BATCH mode)', async () => {
    let exams = [examFixture({ copy_counts: { STAGING: 2, READY: 28 } })]
    const { calls } = mockFetch({
      'GET /api/exams': () => json(200, { exams }),
      'POST /api/exams': (call) => {
        const created = examFixture({ id: 'ex2', ...(call.body as object), copy_counts: {} })
        exams = [...exams, created]
        return json(201, created)
      },
    })
    view = await mountAt('/admin/exams')
    await vi.waitFor(() => expect(allByTestId(root(), 'exam-row')).toHaveLength(1))
    const row = byTestId(root(), 'exam-row')
    expect(row.dataset.examName).toBe('Maths — June')
    expect(row.textContent).toContain('To identify')
    expect(row.textContent).toContain('28')

    // BATCH needs the pages per copy.
    typeInto(byTestId(root(), 'new-exam-name'), 'Physics')
    typeInto(byTestId(root(), 'new-exam-subject'), 'Physics')
    typeInto(byTestId(root(), 'new-exam-date'), '2025-07-01')
    byTestId<HTMLButtonElement>(root(), 'new-exam-submit').click()
    await flush()
    expect(root().textContent).toContain('Enter the number of pages of each copy')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    // INDIVIDUAL has no pages field.
    select(byTestId(root(), 'new-exam-mode'), 'INDIVIDUAL')
    await flush()
    expect(root().querySelector('[data-testid="new-exam-pages"]')).toBeNull()
    byTestId<HTMLInputElement>(root(), 'new-exam-split-a3').click()
    byTestId<HTMLButtonElement>(root(), 'new-exam-submit').click()
    await vi.waitFor(() => expect(allByTestId(root(), 'exam-row')).toHaveLength(2))
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({
      name: 'Physics',
      subject: 'Physics',
      date: '2025-07-01',
      upload_mode: 'INDIVIDUAL',
      split_a3: true,
    })
    expect(byTestId(root(), 'new-exam-success').textContent).toContain('Physics')
    expect(byTestId<HTMLInputElement>(root(), 'new-exam-name').value).toBe('')
  })

  it('shows the server’s field errors next to the fields', async () => {
    mockFetch({
      'GET /api/exams': json(200, { exams: [] }),
      'POST /api/exams': json(400, {
        error: { code: 'validation_error', message: 'Check the form.' },
        fields: [{ field: 'pages_per_copy', message: 'At most 64 pages.' }],
      }),
    })
    view = await mountAt('/admin/exams')
    await vi.waitFor(() => byTestId(root(), 'new-exam-submit'))
    typeInto(byTestId(root(), 'new-exam-name'), 'X')
    typeInto(byTestId(root(), 'new-exam-subject'), 'Y')
    typeInto(byTestId(root(), 'new-exam-date'), '2025-07-01')
    typeInto(byTestId(root(), 'new-exam-pages'), '100')
    byTestId<HTMLButtonElement>(root(), 'new-exam-submit').click()
    await vi.waitFor(() => expect(byTestId(root(), 'new-exam-error').textContent).toContain('Check the form.'))
    expect(byTestId(root(), 'new-exam-pages').getAttribute('aria-invalid')).toBe('true')
    expect(root().textContent).toContain('At most 64 pages.')
  })
})

describe('exam settings', () => {
  it('shows the 409 message when the exam cannot be deleted', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'DELETE /api/exams/ex1': apiError(409, 'has_copies', 'This exam has 30 copies: it cannot be deleted.'),
    })
    view = await mountAt('/admin/exams/ex1')
    await vi.waitFor(() => byTestId(root(), 'exam-title'))
    expect(byTestId(root(), 'exam-title').textContent).toBe('Maths — June')
    expect(byTestId(root(), 'tab-settings').getAttribute('aria-current')).toBe('page')
    byTestId<HTMLButtonElement>(root(), 'exam-delete').click()
    await flush()
    byTestId<HTMLButtonElement>(root(), 'exam-delete-confirm').click()
    await vi.waitFor(() =>
      expect(byTestId(root(), 'exam-delete-error').textContent).toContain('This exam has 30 copies: it cannot be deleted.'),
    )
    expect(view!.router.currentRoute.value.path).toBe('/admin/exams/ex1')
  })
})

describe('teachers', () => {
  it('PUTs the checked teachers', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ teacher_ids: ['t1'], teachers: [{ id: 't1', username: 'tess' }] })),
      'GET /api/users': json(200, {
        users: [
          { id: 't1', username: 'tess', email: 'tess@x', role: 'teacher', active: true, must_change_password: false, created_at: '' },
          { id: 't2', username: 'tom', email: 'tom@x', role: 'teacher', active: true, must_change_password: false, created_at: '' },
          { id: 't3', username: 'old', email: 'old@x', role: 'teacher', active: false, must_change_password: false, created_at: '' },
        ],
      }),
      'PUT /api/exams/ex1/teachers': (call) => json(200, call.body),
    })
    view = await mountAt('/admin/exams/ex1/teachers')
    await vi.waitFor(() => expect(allByTestId(root(), 'teacher-checkbox')).toHaveLength(2)) // disabled, unassigned: hidden
    expect(calls.find((c) => c.url.startsWith('/api/users'))!.url).toBe('/api/users?role=teacher')
    const box = (name: string) => root().querySelector<HTMLInputElement>(`[data-testid="teacher-checkbox"][data-username="${name}"]`)!
    expect(box('tess').checked).toBe(true)
    expect(box('tom').checked).toBe(false)
    box('tom').click()
    box('tess').click()
    byTestId<HTMLButtonElement>(root(), 'teachers-save').click()
    await vi.waitFor(() => byTestId(root(), 'teachers-status'))
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({ teacher_ids: ['t2'] })
  })
})

describe('roster import screen', () => {
  const CSV = 'last_name;first_name;email;class;group;student_number\nLee;Sam;sam@x.test;3A;G1;42\nNoël;Zoé;zoe@x.test;3A;G2;43\n'
  const job = (fields: Record<string, unknown>) => ({
    job_id: 'j1', kind: 'roster_import', status: 'PENDING', total: 1, processed: 0, created: 0, updated: 0,
    errors: [{ line: 3, message: 'Invalid email address.' }], error: null, credentials_csv_url: null, ...fields,
  })

  it('previews the file, posts it raw, follows the import job, then shows the counts, errors and the one-time link', async () => {
    let students: unknown[] = []
    let polls = 0
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': () => json(200, { students }),
      'POST /api/exams/ex1/roster': json(202, {
        job_id: 'j1',
        status: 'PENDING',
        total: 1,
        errors: [{ line: 3, message: 'Invalid email address.' }],
      }),
      'GET /api/exams/ex1/account-jobs/j1': () => {
        polls += 1
        if (polls === 1) return json(200, job({ status: 'RUNNING', processed: 0 }))
        students = [
          { id: 's1', last_name: 'Lee', first_name: 'Sam', email: 'sam@x.test', login_id: null, class_name: '3A', group: 'G1', student_number: '42', birth_date: null },
        ]
        return json(200, job({ status: 'DONE', processed: 1, created: 1, credentials_csv_url: '/api/exams/ex1/account-jobs/j1/credentials' }))
      },
    })
    view = await mountAt('/admin/exams/ex1/roster')
    await vi.waitFor(() => byTestId(root(), 'students-table'))
    expect(byTestId(root(), 'students-table').textContent).toContain('No student yet')

    const file = new File([CSV], 'roster.csv', { type: 'text/csv' })
    chooseFiles(byTestId<HTMLInputElement>(root(), 'roster-file'), [file])
    await vi.waitFor(() => expect(byTestId(root(), 'roster-preview').textContent).toContain('Noël'))
    expect(byTestId(root(), 'roster-preview').textContent).toContain('3 lines')

    byTestId<HTMLButtonElement>(root(), 'roster-import').click()
    await vi.waitFor(() => byTestId(root(), 'roster-progress'))
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.headers.get('Content-Type')).toBe('text/csv')
    expect(post.headers.get('X-CSRF-Token')).toBe('tok')
    expect(post.body).toBe(file)
    expect(byTestId(root(), 'roster-progress').textContent).toContain('0 / 1')

    await vi.waitFor(() => byTestId(root(), 'roster-created'), { timeout: 3000 })
    expect(byTestId(root(), 'roster-created').textContent).toBe('1')
    expect(byTestId(root(), 'roster-updated').textContent).toBe('0')
    expect(byTestId(root(), 'roster-errors').textContent).toContain('Invalid email address.')
    const link = byTestId<HTMLAnchorElement>(root(), 'roster-credentials')
    expect(link.getAttribute('href')).toBe('/api/exams/ex1/account-jobs/j1/credentials')
    expect(link.textContent).toContain('Download credentials (once)')
    expect(byTestId(root(), 'roster-credentials-box').textContent).toContain('works only once')
    await vi.waitFor(() => expect(allByTestId(root(), 'student-row')).toHaveLength(1))

    link.addEventListener('click', (e) => e.preventDefault()) // jsdom cannot navigate
    link.click()
    await flush()
    expect(root().querySelector('[data-testid="roster-credentials"]')).toBeNull()
    expect(byTestId(root(), 'roster-credentials-used')).toBeTruthy()
  })

  it('shows the line errors of a refused file', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': json(200, { students: [] }),
      'POST /api/exams/ex1/roster': json(400, {
        error: { code: 'invalid_csv', message: 'The header is not recognised.' },
        errors: [{ line: 1, message: 'Missing column "email".' }],
      }),
    })
    view = await mountAt('/admin/exams/ex1/roster')
    await vi.waitFor(() => byTestId(root(), 'roster-file'))
    chooseFiles(byTestId<HTMLInputElement>(root(), 'roster-file'), [new File(['foo\n'], 'x.csv')])
    await flush()
    byTestId<HTMLButtonElement>(root(), 'roster-import').click()
    await vi.waitFor(() => byTestId(root(), 'roster-error'))
    expect(byTestId(root(), 'roster-error').textContent).toContain('Nothing was imported. The header is not recognised.')
    expect(byTestId(root(), 'roster-errors').textContent).toContain('Missing column "email".')
    expect(root().querySelector('[data-testid="roster-credentials"]')).toBeNull()
  })

  it('previews ; or , files, quoted cells and a BOM', () => {
    const p = previewCsv('\uFEFFÉlèves;Né(e) le;Adresse E-mail\r\n"DUPONT; Éloïse";03/04/2009;e@x\r\n\r\n')
    expect(p.delimiter).toBe(';')
    expect(p.rows).toEqual([
      ['Élèves', 'Né(e) le', 'Adresse E-mail'],
      ['DUPONT; Éloïse', '03/04/2009', 'e@x'],
    ])
    expect(p.lineCount).toBe(2)
    expect(previewCsv('a,b\n1,"x ""y"""').rows[1]).toEqual(['1', 'x "y"'])
    expect(previewCsv('Nom\nL\uFFFDa').suspiciousEncoding).toBe(true)
    expect(formatBytes(1536)).toBe('1.5 KB')
  })
})

describe('dispatch and copies', () => {
  const copies = () => [
    { id: 'c1', anonymous_id: '7F3A-001', status: 'READY', page_count: 4, teacher_id: 't1', teacher_username: 'tess', student: { id: 's1', name: 'DUPONT Éloïse' } },
    { id: 'c2', anonymous_id: '7F3A-002', status: 'LOCKED', page_count: 4, teacher_id: 't2', teacher_username: 'tom', student: { id: 's2', name: 'DUPOND Marc' } },
    { id: 'c3', anonymous_id: '7F3A-003', status: 'STAGING', page_count: 4, teacher_id: null, teacher_username: null, student: null },
  ]

  it('dispatches and shows the distribution by username', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/copies': json(200, { copies: copies() }),
      'POST /api/exams/ex1/dispatch': json(200, { assigned: 3, distribution: { t1: 2, t2: 1 } }),
    })
    view = await mountAt('/admin/exams/ex1/dispatch')
    await vi.waitFor(() => expect(allByTestId(root(), 'copy-row')).toHaveLength(3))
    expect(allByTestId(root(), 'copy-row').map((r) => r.dataset.status)).toEqual(['READY', 'LOCKED', 'STAGING'])
    expect(allByTestId(root(), 'copy-row')[0]!.textContent).toContain('DUPONT Éloïse')

    byTestId<HTMLButtonElement>(root(), 'dispatch-submit').click()
    await vi.waitFor(() => byTestId(root(), 'dispatch-distribution'))
    expect(calls.find((c) => c.method === 'POST')!.headers.get('X-CSRF-Token')).toBe('tok')
    const rows = allByTestId(root(), 'dispatch-distribution-row').map((r) =>
      Array.from(r.children).map((cell) => cell.textContent?.trim()),
    )
    expect(rows).toEqual([
      ['tess', '2'],
      ['tom', '1'],
    ])
  })

  it('reassigns a copy, and shows the 409 of a locked one', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/copies': json(200, { copies: copies() }),
      'POST /api/copies/c1/reassign': json(200, { ...copies()[0], teacher_id: 't2', teacher_username: 'tom' }),
      'POST /api/copies/c3/reassign': apiError(409, 'conflict', 'The copy is locked by tess.'),
    })
    view = await mountAt('/admin/exams/ex1/dispatch')
    await vi.waitFor(() => expect(allByTestId(root(), 'copy-row')).toHaveLength(3))
    const selects = allByTestId<HTMLSelectElement>(root(), 'copy-reassign')
    expect(selects[0]!.value).toBe('t1')
    expect(selects[1]!.disabled).toBe(true) // LOCKED

    select(selects[0]!, 't2')
    await vi.waitFor(() => expect(byTestId(root(), 'copy-reassign-message').textContent).toContain('now goes to tom'))
    expect(calls.find((c) => c.url === '/api/copies/c1/reassign')!.body).toEqual({ teacher_id: 't2' })
    expect(byTestId(allByTestId(root(), 'copy-row')[0]!, 'copy-teacher').textContent).toBe('tom')

    select(allByTestId<HTMLSelectElement>(root(), 'copy-reassign')[2]!, 't1')
    await vi.waitFor(() => expect(byTestId(root(), 'copy-reassign-message').textContent).toContain('locked by tess'))
    expect(allByTestId<HTMLSelectElement>(root(), 'copy-reassign')[2]!.value).toBe('')
  })
})

describe('the exam screens in French', () => {
  it('lists the exams with plain French statuses and dates, and words the checks and the server’s field errors', async () => {
    mockFetch({
      'GET /api/exams': json(200, { exams: [examFixture({ copy_counts: { STAGING: 2, READY: 28 } })] }),
      'POST /api/exams': json(400, {
        error: { code: 'validation_error', message: 'Check the form.', reason: 'number_at_most', params: { field: 'pages_per_copy', max: 64 } },
        fields: [{ field: 'pages_per_copy', message: 'At most 64 pages.', reason: 'number_at_most', params: { field: 'pages_per_copy', max: 64 } }],
      }),
    })
    view = await mountAt('/admin/exams', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'exam-row')).toHaveLength(1))
    const row = byTestId(root(), 'exam-row')
    expect(row.textContent).toContain('À identifier')
    expect(row.textContent).toContain('Prête à corriger')
    expect(row.textContent).toContain('12 juin 2025')
    expect(row.textContent).toContain('Scan groupé')
    expect(row.textContent).not.toMatch(/STAGING|READY|BATCH/)

    byTestId<HTMLButtonElement>(root(), 'new-exam-submit').click()
    await flush()
    expect(root().textContent).toContain('Saisissez le nom de l’examen.')
    expect(root().textContent).toContain('Saisissez le nombre de pages de chaque copie (1 ou plus).')

    typeInto(byTestId(root(), 'new-exam-name'), 'Contrôle 3')
    typeInto(byTestId(root(), 'new-exam-subject'), 'Mathématiques')
    typeInto(byTestId(root(), 'new-exam-date'), '2025-07-01')
    typeInto(byTestId(root(), 'new-exam-pages'), '100')
    byTestId<HTMLButtonElement>(root(), 'new-exam-submit').click()
    await vi.waitFor(() => byTestId(root(), 'new-exam-error'))
    expect(root().textContent).toContain('Le champ « Pages par copie » doit être inférieur ou égal à 64.')
    expect(root().textContent).not.toContain('At most 64 pages.')
  })

  it('shows the exam’s header, tabs and dispatch in French', async () => {
    const copies = [
      { id: 'c1', anonymous_id: '7F3A-001', status: 'READY', page_count: 4, teacher_id: 't1', teacher_username: 'tess', student: null },
      { id: 'c2', anonymous_id: '7F3A-002', status: 'GRADED', page_count: 4, teacher_id: 't2', teacher_username: 'tom', student: null },
    ]
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ max_points: 20.5, copy_counts: { READY: 1, GRADED: 1 } })),
      'GET /api/exams/ex1/copies': json(200, { copies }),
      'POST /api/exams/ex1/dispatch': json(200, { assigned: 2, distribution: { t1: 2 } }),
    })
    view = await mountAt('/admin/exams/ex1/dispatch', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'copy-row')).toHaveLength(2))
    expect(root().textContent).toContain('Sur 20,5 points')
    expect(root().textContent).toContain('4 pages par copie')
    expect(byTestId(root(), 'tab-scheme').textContent!.trim()).toBe('Barème')
    expect(byTestId(root(), 'tab-dispatch').textContent!.trim()).toBe('Répartition et copies')
    expect(allByTestId(root(), 'copy-status').map((s) => s.textContent)).toEqual(['Prête à corriger', 'Corrigée'])
    expect(byTestId(root(), 'copy-reopen').textContent!.trim()).toBe('Rouvrir…')

    byTestId<HTMLButtonElement>(root(), 'dispatch-submit').click()
    await vi.waitFor(() => byTestId(root(), 'dispatch-distribution'))
    expect(byTestId(root(), 'dispatch-assigned').parentElement!.textContent).toContain('2 copies attribuées.')
  })
})
