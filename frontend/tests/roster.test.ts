import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { acceptedJob, rosterApi } from '../src/api/roster'
import { useSelection } from '../src/composables/useSelection'
import { resetSessionState } from '../src/stores/session'
import { json, mockFetch } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, type Mounted } from './mount'

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

const STUDENTS = [
  { id: 's1', last_name: 'MARTIN', first_name: 'Lucas', email: 'lucas@x.test', login_id: null, class_name: '3B', group: '', student_number: '', birth_date: null },
  { id: 's2', last_name: 'MARTIN', first_name: 'Léa', email: null, login_id: 'lea.martin.482', class_name: '3B', group: '', student_number: '', birth_date: '2010-04-03' },
  { id: 's3', last_name: 'ROUX', first_name: 'Noé', email: 'noe@x.test', login_id: null, class_name: '3B', group: '', student_number: '', birth_date: null },
]

const resetJob = (fields: Record<string, unknown>) => ({
  job_id: 'r1', kind: 'password_reset', status: 'PENDING', total: 2, processed: 0, created: 0, updated: 0,
  errors: [], error: null, credentials_csv_url: null, ...fields,
})

describe('roster API', () => {
  it('posts the raw CSV and reads the 202 of the queued import', async () => {
    const { calls } = mockFetch({
      'POST /api/exams/ex1/roster': json(202, { job_id: 'j1', status: 'PENDING', total: 2, errors: [] }),
    })
    const accepted = await rosterApi.importRoster('ex1', 'last_name,first_name,email\n')
    expect(calls[0]!.headers.get('Content-Type')).toBe('text/csv')
    expect(calls[0]!.body).toBe('last_name,first_name,email\n')
    expect(acceptedJob(accepted)).toMatchObject({ job_id: 'j1', status: 'PENDING', total: 2, processed: 0, credentials_csv_url: null })
  })

  it('reads a job and starts a bulk reset with the selected ids', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1/account-jobs/j1': json(200, resetJob({ job_id: 'j1', status: 'DONE' })),
      'POST /api/exams/ex1/students/reset-passwords': json(202, resetJob({})),
    })
    expect((await rosterApi.getJob('ex1', 'j1')).status).toBe('DONE')
    await rosterApi.resetPasswords('ex1', ['s1', 's2'])
    expect(calls[1]!.body).toEqual({ student_ids: ['s1', 's2'] })
    expect(calls[1]!.headers.get('X-CSRF-Token')).toBe('tok')
  })
})

describe('selection', () => {
  it('toggles one, all shown, and forgets students no longer listed', () => {
    const s = useSelection()
    s.toggle('a')
    expect(s.has('a')).toBe(true)
    s.toggleAll(['a', 'b'])
    expect(s.count.value).toBe(2)
    expect(s.allSelected(['a', 'b'])).toBe(true)
    s.toggleAll(['a', 'b'])
    expect(s.count.value).toBe(0)
    s.toggleAll(['a', 'b', 'c'])
    s.keepOnly(['b'])
    expect([...s.ids.value]).toEqual(['b'])
  })
})

describe('roster screen: students and bulk password reset', () => {
  it('shows the sign-in ids, resets the passwords of the selected students and offers their sheet once', async () => {
    let polls = 0
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': json(200, { students: STUDENTS }),
      'POST /api/exams/ex1/students/reset-passwords': json(202, resetJob({})),
      'GET /api/exams/ex1/account-jobs/r1': () => {
        polls += 1
        return polls === 1
          ? json(200, resetJob({ status: 'RUNNING', processed: 1 }))
          : json(200, resetJob({ status: 'DONE', processed: 2, updated: 2, credentials_csv_url: '/api/exams/ex1/account-jobs/r1/credentials' }))
      },
    })
    view = await mountAt('/admin/exams/ex1/roster')
    await vi.waitFor(() => expect(allByTestId(root(), 'student-row')).toHaveLength(3))
    expect(allByTestId(root(), 'student-login-id').map((c) => c.textContent)).toContain('lea.martin.482')

    const reset = byTestId<HTMLButtonElement>(root(), 'students-reset')
    expect(reset.disabled).toBe(true)
    const boxes = allByTestId<HTMLInputElement>(root(), 'student-select')
    boxes[0]!.click()
    boxes[1]!.click()
    await flush()
    expect(reset.textContent).toContain('(2)')
    reset.click()
    await flush()
    expect(byTestId(root(), 'students-actions').textContent).toContain('2 students get a new initial password')
    byTestId<HTMLButtonElement>(root(), 'students-reset-confirm').click()
    await vi.waitFor(() => byTestId(root(), 'reset-progress'))
    const post = calls.find((c) => c.method === 'POST')!
    expect((post.body as { student_ids: string[] }).student_ids.sort()).toEqual(['s1', 's2'])

    await vi.waitFor(() => byTestId(root(), 'reset-credentials'), { timeout: 4000 })
    expect(byTestId(root(), 'reset-updated').textContent).toBe('2')
    expect(byTestId<HTMLAnchorElement>(root(), 'reset-credentials').getAttribute('href')).toBe(
      '/api/exams/ex1/account-jobs/r1/credentials',
    )
  })

  it('says what a failed import created and still offers its sheet', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': json(200, { students: [] }),
      'POST /api/exams/ex1/roster': json(202, { job_id: 'j9', status: 'PENDING', total: 40, errors: [] }),
      'GET /api/exams/ex1/account-jobs/j9': json(200, {
        job_id: 'j9', kind: 'roster_import', status: 'FAILED', total: 40, processed: 20, created: 20, updated: 0,
        errors: [], error: 'The job stopped: DynamoDB is unavailable', credentials_csv_url: '/api/exams/ex1/account-jobs/j9/credentials',
      }),
    })
    view = await mountAt('/admin/exams/ex1/roster')
    await vi.waitFor(() => byTestId(root(), 'roster-file'))
    const input = byTestId<HTMLInputElement>(root(), 'roster-file')
    Object.defineProperty(input, 'files', { value: [new File(['a\n'], 'r.csv')] })
    input.dispatchEvent(new Event('change'))
    await flush()
    byTestId<HTMLButtonElement>(root(), 'roster-import').click()
    await vi.waitFor(() => byTestId(root(), 'roster-failed'), { timeout: 3000 })
    expect(byTestId(root(), 'roster-failed').textContent).toContain('stopped after 20 of 40')
    expect(byTestId(root(), 'roster-failed').textContent).toContain('DynamoDB is unavailable')
    expect(byTestId(root(), 'roster-created').textContent).toBe('20')
    expect(byTestId(root(), 'roster-credentials')).toBeTruthy()
  })
})
