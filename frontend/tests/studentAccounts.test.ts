import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, reactive, type App } from 'vue'
import { resetClientState, setCsrfToken } from '../src/api/client'
import type { StudentAccount } from '../src/api/students'
import StudentAccountActions from '../src/components/exam/StudentAccountActions.vue'
import { bulkMessage } from '../src/composables/useStudentAccountActions'
import { loadMe, resetSessionState } from '../src/stores/session'
import { apiError, empty, json, mockFetch, staffAdmin } from './helpers'
import { byTestId, flush, mountAt, typeInto, type Mounted } from './mount'
import { i18n, setLocale } from '../src/i18n'

const lucas: StudentAccount = {
  id: 's1',
  last_name: 'MARTIN',
  first_name: 'Lucas',
  email: null,
  login_id: 'lucas.martin.482',
  active: true,
}
const lea: StudentAccount = { ...lucas, id: 's2', first_name: 'Léa', login_id: null, email: 'lea@x.test', active: false }

let app: App | null = null
let host: HTMLElement | null = null
let view: Mounted | null = null

function mountActions(students: StudentAccount[]): { root: HTMLElement; changed: ReturnType<typeof vi.fn> } {
  const changed = vi.fn()
  const props = reactive({ examId: 'ex1', students })
  host = document.createElement('div')
  document.body.appendChild(host)
  app = createApp({ render: () => h(StudentAccountActions, { ...props, onChanged: changed }) })
  setLocale('en')
  app.use(i18n).mount(host)
  return { root: host, changed }
}

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
})

afterEach(() => {
  app?.unmount()
  host?.remove()
  app = null
  host = null
  view?.unmount()
  view = null
  resetClientState()
  resetSessionState()
})

describe('student account actions', () => {
  it('resets one student password and offers the one-time credentials link', async () => {
    const { calls } = mockFetch({
      'POST /api/students/s1/reset-password': json(200, { credentials_csv_url: '/api/credentials/abc' }),
    })
    const { root, changed } = mountActions([lucas])
    byTestId<HTMLButtonElement>(root, 'account-reset-password').click()
    await flush()
    expect(calls[0]?.body).toEqual({ exam_id: 'ex1' })
    expect(calls[0]?.headers.get('X-CSRF-Token')).toBe('tok')
    const link = byTestId<HTMLAnchorElement>(root, 'account-credentials')
    expect(link.getAttribute('href')).toBe('/api/credentials/abc')
    expect(byTestId(root, 'account-credentials-box').textContent).toContain('Lucas MARTIN')
    expect(changed).toHaveBeenCalledOnce()
    link.addEventListener('click', (event) => event.preventDefault())
    link.click()
    await flush()
    expect(byTestId(root, 'account-credentials-used')).toBeTruthy()
  })

  it('offers the reset for exactly one selected student', () => {
    mockFetch({})
    const { root } = mountActions([lucas, lea])
    expect(byTestId<HTMLButtonElement>(root, 'account-reset-password').disabled).toBe(true)
  })

  it('disables the selected students in one call and says how many changed', async () => {
    const { calls } = mockFetch({ 'POST /api/exams/ex1/students/accounts': json(200, { changed: 1 }) })
    const { root, changed } = mountActions([lucas, lea])
    byTestId<HTMLButtonElement>(root, 'account-disable').click()
    await flush()
    expect(calls[0]?.body).toEqual({ student_ids: ['s1', 's2'], action: 'disable' })
    expect(byTestId(root, 'account-status').textContent).toContain('1 student disabled (1 already disabled).')
    expect(changed).toHaveBeenCalledOnce()
  })

  it('ends sessions and shows the server message on failure', async () => {
    mockFetch({
      'POST /api/exams/ex1/students/accounts': apiError(400, 'bad_request', "1 of these students are not on this exam's roster."),
    })
    const { root, changed } = mountActions([lucas])
    byTestId<HTMLButtonElement>(root, 'account-revoke-sessions').click()
    await flush()
    expect(byTestId(root, 'account-error').textContent).toContain('not on this exam')
    expect(changed).not.toHaveBeenCalled()
  })

  it('only enables when a selected student is disabled', () => {
    mockFetch({})
    const { root } = mountActions([lucas])
    expect(byTestId<HTMLButtonElement>(root, 'account-enable').disabled).toBe(true)
    expect(byTestId<HTMLButtonElement>(root, 'account-disable').disabled).toBe(false)
  })

  it('words the bulk results', () => {
    expect(bulkMessage('enable', 2, 2)).toBe('2 students enabled.')
    expect(bulkMessage('revoke_sessions', 1, 1)).toBe('Signed out 1 student everywhere.')
  })
})

describe('student sign-in', () => {
  it('accepts the generated sign-in id in the email field', async () => {
    const { calls } = mockFetch({
      'POST /api/students/login': json(200, {
        status: 'success',
        student: { id: 's1', email: null, login_id: 'lucas.martin.482', first_name: 'Lucas', last_name: 'MARTIN' },
        must_change_password: true,
        csrf_token: 'tok2',
      }),
      'GET /api/me': json(200, { user: { ...staffAdmin, role: 'student', kind: 'student' }, csrf_token: 'tok2' }),
    })
    view = await mountAt('/student/login')
    const input = byTestId<HTMLInputElement>(view.root, 'student-login-email')
    expect(input.type).toBe('text')
    expect(view.root.textContent).toContain('Email or sign-in id')
    typeInto(input, 'lucas.martin.482')
    typeInto(byTestId<HTMLInputElement>(view.root, 'student-login-password'), 'kx4e-tamf-7hcw-dnr3')
    byTestId<HTMLButtonElement>(view.root, 'student-login-submit').click()
    await flush()
    expect(calls[0]?.body).toEqual({ email: 'lucas.martin.482', password: 'kx4e-tamf-7hcw-dnr3' })
  })
})

describe('users screen', () => {
  it('offers "Change my password" for oneself instead of the admin reset', async () => {
    mockFetch({
      'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'tok' }),
      'GET /api/users': json(200, {
        users: [
          { ...staffAdmin, active: true, created_at: '2026-01-01T00:00:00Z' },
          { id: 2, username: 'bob', email: 'b@x.test', role: 'teacher', active: true, must_change_password: false, created_at: '2026-01-01T00:00:00Z' },
        ],
      }),
      'POST /api/logout': empty(),
    })
    await loadMe()
    view = await mountAt('/admin/users')
    await vi.waitFor(() => byTestId(view!.root, 'users-table'))
    const rows = Array.from(view.root.querySelectorAll<HTMLElement>('[data-testid="user-row"]'))
    const self = rows.find((row) => row.dataset.username === 'alice')!
    const other = rows.find((row) => row.dataset.username === 'bob')!
    const link = byTestId<HTMLAnchorElement>(self, 'user-change-own-password')
    expect(link.getAttribute('href')).toBe('/change-password')
    expect(self.querySelector('[data-testid="user-reset-password"]')).toBeNull()
    expect(byTestId(other, 'user-reset-password')).toBeTruthy()
  })
})
