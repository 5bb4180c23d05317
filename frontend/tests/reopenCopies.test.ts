import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { resetSessionState } from '../src/stores/session'
import { apiError, json, mockFetch } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, typeInto, type Mounted } from './mount'

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

describe('copies list: reopening a graded copy', () => {
  const graded = (extra: Record<string, unknown> = {}) => ({
    id: 'c1', anonymous_id: '7F3A-001', status: 'GRADED', page_count: 4, teacher_id: 't1', teacher_username: 'tess',
    student: { id: 's1', name: 'DUPONT Éloïse' }, ...extra,
  })

  it('asks why, posts the reason, then shows the copy READY again', async () => {
    let copies = [graded(), { ...graded(), id: 'c2', anonymous_id: '7F3A-002', status: 'READY' }]
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/copies': () => json(200, { copies }),
      'POST /api/copies/c1/reopen': () => {
        copies = [graded({ status: 'READY' }), copies[1]!]
        return json(200, { id: 'c1', status: 'READY' })
      },
    })
    view = await mountAt('/admin/exams/ex1/dispatch')
    await vi.waitFor(() => expect(allByTestId(root(), 'copy-row')).toHaveLength(2))
    expect(allByTestId(root(), 'copy-reopen')).toHaveLength(1) // graded copies only

    byTestId<HTMLButtonElement>(root(), 'copy-reopen').click()
    await flush()
    typeInto(byTestId<HTMLInputElement>(root(), 'reopen-reason'), 'Recount question 1')
    byTestId<HTMLButtonElement>(root(), 'reopen-submit').click()

    await vi.waitFor(() => expect(allByTestId(root(), 'copy-row')[0]!.dataset.status).toBe('READY'))
    expect(calls.find((c) => c.url === '/api/copies/c1/reopen')!.body).toEqual({ reason: 'Recount question 1' })
    expect(byTestId(root(), 'copy-reassign-message').textContent).toContain('reopened')
  })

  it('shows why a copy could not be reopened', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/copies': json(200, { copies: [graded()] }),
      'POST /api/copies/c1/reopen': apiError(409, 'conflict', 'The copy changed meanwhile; reload it.'),
    })
    view = await mountAt('/admin/exams/ex1/dispatch')
    await vi.waitFor(() => byTestId(root(), 'copy-reopen'))
    byTestId<HTMLButtonElement>(root(), 'copy-reopen').click()
    await flush()
    typeInto(byTestId<HTMLInputElement>(root(), 'reopen-reason'), 'Recount question 1')
    byTestId<HTMLButtonElement>(root(), 'reopen-submit').click()
    await vi.waitFor(() => expect(byTestId(root(), 'reopen-error').textContent).toContain('changed meanwhile'))
  })
})
