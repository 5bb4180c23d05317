/** The admin's own screens in French: dashboard, staff accounts, the missing page. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { loadMe, resetSessionState } from '../src/stores/session'
import { json, mockFetch, staffAdmin } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, typeInto, type Mounted } from './mount'

let view: Mounted | null = null
const root = () => view!.root

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
})

afterEach(() => {
  view?.unmount()
  view = null
  resetClientState()
  resetSessionState()
})

const users = [
  { id: 1, username: 'alice', email: 'alice@school.test', role: 'admin', active: true, must_change_password: false, created_at: '2025-06-12T10:00:00Z' },
  { id: 2, username: 'tess', email: 'tess@school.test', role: 'teacher', active: true, must_change_password: true, created_at: '2025-06-13T10:00:00Z' },
  { id: 3, username: 'tom', email: 'tom@school.test', role: 'teacher', active: false, must_change_password: false, created_at: '2025-06-14T10:00:00Z' },
]

describe('the admin screens in French', () => {
  it('sums up the exams and the accounts in French words', async () => {
    mockFetch({
      'GET /api/exams': json(200, { exams: [examFixture({ copy_counts: { STAGING: 2, READY: 28 } })] }),
      'GET /api/users': json(200, { users }),
    })
    view = await mountAt('/admin', 'fr')
    await vi.waitFor(() => expect(byTestId(root(), 'users-total').textContent).toBe('3'))
    expect(byTestId(root(), 'dashboard-title').textContent).toBe('Tableau de bord')
    expect(byTestId(root(), 'exams-summary').textContent).toContain('1 examen')
    expect(byTestId(root(), 'exams-summary').textContent).toContain('Copies à identifier')
    expect(byTestId(root(), 'users-summary').textContent).toContain('3 comptes')
    expect(byTestId(root(), 'users-count-teacher').textContent).toContain('Enseignants')
    expect(byTestId(root(), 'manage-users-link').textContent).toBe('Gérer les utilisateurs')
  })

  it('lists and changes staff accounts in French', async () => {
    mockFetch({
      'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'tok' }),
      'GET /api/users': json(200, { users }),
      'PATCH /api/users/2': json(200, { ...users[1], active: false }),
      'POST /api/users': json(400, { error: { code: 'validation_error', message: 'Password too short.' } }),
    })
    await loadMe()
    view = await mountAt('/admin/users', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'user-row')).toHaveLength(3))
    const [alice, tess, tom] = allByTestId(root(), 'user-row')
    expect(alice!.textContent).toContain('(vous)')
    expect(alice!.textContent).toContain('12 juin 2025')
    expect(byTestId(tess!, 'user-must-change').textContent).toBe('Oui')
    expect(byTestId(tom!, 'user-active').textContent!.trim()).toBe('Désactivé')
    expect(byTestId(tess!, 'user-toggle-active').getAttribute('aria-label')).toBe('Désactiver tess')

    byTestId<HTMLButtonElement>(tess!, 'user-toggle-active').click()
    await vi.waitFor(() => expect(byTestId(root(), 'users-status').textContent).toBe('tess est désactivé.'))

    byTestId<HTMLButtonElement>(root(), 'create-user-submit').click()
    await flush()
    expect(byTestId(root(), 'create-user-error').textContent!.trim()).toBe(
      'Renseignez l’identifiant, l’adresse e-mail et le mot de passe initial.',
    )
    typeInto(byTestId(root(), 'create-user-username'), 'paul')
    typeInto(byTestId(root(), 'create-user-email'), 'paul@school.test')
    typeInto(byTestId(root(), 'create-user-password'), 'short')
    byTestId<HTMLButtonElement>(root(), 'create-user-submit').click()
    await vi.waitFor(() => expect(byTestId(root(), 'create-user-error').textContent).toContain('L’utilisateur n’a pas pu être créé.'))
    expect(byTestId(root(), 'create-user-error').textContent).not.toContain('Password too short.')
  })

  it('says a page is missing in French', async () => {
    mockFetch({})
    view = await mountAt('/no/such/page', 'fr')
    await flush()
    expect(root().textContent).toContain('Page introuvable')
    expect(root().textContent).toContain('Aller à l’accueil')
  })
})
