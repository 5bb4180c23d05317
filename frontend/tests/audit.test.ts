/**
 * The audit screen: names instead of ids, plain French words for actions and outcomes, filters
 * picked from lists (exams, staff, actions) and a copy's history one click away.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { has, setLocale } from '../src/i18n'
import { AUDIT_ACTIONS, auditActionLabel } from '../src/lib/auditActions'
import { loadMe, resetSessionState } from '../src/stores/session'
import { json, mockFetch, staffAdmin, type Call } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, typeInto, type Mounted } from './mount'

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
})

afterEach(() => {
  view?.unmount()
  view = null
  resetClientState()
  resetSessionState()
})

const events = [
  {
    id: 'e3',
    at: '2025-06-20T09:00:00+00:00',
    action: 'staff.login',
    outcome: 'failure',
    actor_id: null,
    actor_role: null,
    actor_name: null,
    ip: '203.0.113.9',
    request_id: 'req-3',
    target_type: null,
    target_id: null,
    target_name: null,
    exam_id: null,
    exam_name: null,
    copy_id: null,
    metadata: { reason: 'bad_password', username: 'alice' },
  },
  {
    id: 'e2',
    at: '2025-06-20T08:00:00+00:00',
    action: 'user.disable',
    outcome: 'success',
    actor_id: 'a1b2c3d4e5f6',
    actor_role: 'admin',
    actor_name: 'principal',
    ip: '198.51.100.7',
    request_id: 'req-2',
    target_type: 'user',
    target_id: 'f00dfeed',
    target_name: 'mrsmith',
    exam_id: null,
    exam_name: null,
    copy_id: null,
    metadata: { sessions_closed: 1 },
  },
  {
    id: 'e1',
    at: '2025-06-19T16:30:00+00:00',
    action: 'copy.download',
    outcome: 'success',
    actor_id: 'deadbeef0001',
    actor_role: 'student',
    actor_name: 'Zoé Côté-Ngô',
    ip: '198.51.100.4',
    request_id: 'req-1',
    target_type: 'copy',
    target_id: 'c1',
    target_name: null,
    exam_id: 'ex1',
    exam_name: 'Maths — juin',
    copy_id: 'c1',
    metadata: {},
  },
  {
    id: 'e0',
    at: '2025-06-01T07:00:00+00:00',
    action: 'user.create',
    outcome: 'success',
    actor_id: null,
    actor_role: 'system',
    actor_name: null,
    ip: null,
    request_id: null,
    target_type: 'user',
    target_id: 'u2',
    target_name: 'tess',
    exam_id: null,
    exam_name: null,
    copy_id: null,
    metadata: { username: 'tess', role: 'teacher' },
  },
]

const users = [
  { id: 'u1', username: 'principal', email: 'p@x.fr', role: 'admin', active: true, must_change_password: false, created_at: '2025-01-01T00:00:00Z' },
  { id: 'u2', username: 'tess', email: 't@x.fr', role: 'teacher', active: true, must_change_password: false, created_at: '2025-01-01T00:00:00Z' },
]

function routes(answer: unknown = { events }) {
  return {
    'GET /api/audit': json(200, answer),
    'GET /api/exams': json(200, { exams: [examFixture({ name: 'Maths — juin' }), examFixture({ id: 'ex2', name: 'Histoire', date: '2025-05-01' })] }),
    'GET /api/users': json(200, { users }),
  }
}

const auditCalls = (calls: Call[]) => calls.filter((c) => c.url.startsWith('/api/audit'))

function pick(testid: string, value: string): void {
  const select = byTestId<HTMLSelectElement>(root(), testid)
  select.value = value
  select.dispatchEvent(new Event('change', { bubbles: true }))
}

const optionTexts = (testid: string) =>
  Array.from(byTestId<HTMLSelectElement>(root(), testid).options).map((o) => o.textContent!.trim())

describe('audit screen', () => {
  it('is in the admin navigation', async () => {
    mockFetch({ 'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'tok' }), ...routes({ events: [] }) })
    await loadMe()
    view = await mountAt('/admin/audit', 'fr')
    const nav = byTestId<HTMLAnchorElement>(root(), 'audit-nav')
    expect(nav.getAttribute('href')).toBe('/admin/audit')
    expect(nav.getAttribute('aria-current')).toBe('page')
    await vi.waitFor(() => byTestId(root(), 'audit-empty'))
    expect(byTestId(root(), 'audit-empty').textContent).toBe('Aucun événement ne correspond à ces filtres.')
  })

  it('shows names and plain French words, never a hex id outside the folded details', async () => {
    mockFetch(routes())
    view = await mountAt('/admin/audit', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'audit-row')).toHaveLength(4))
    const [login, disable, download, seeded] = allByTestId(root(), 'audit-row')

    expect(byTestId(login!, 'audit-action-label').textContent).toBe('Connexion (personnel)')
    expect(byTestId(login!, 'audit-outcome').textContent).toBe('Échec')
    expect(login!.classList.contains('audit-row--failure')).toBe(true)
    expect(byTestId(login!, 'audit-actor-name').textContent).toBe('alice') // the username typed
    expect(byTestId(login!, 'audit-metadata').textContent).toBe('{"reason":"bad_password","username":"alice"}')

    expect(byTestId(disable!, 'audit-action-label').textContent).toBe('Utilisateur désactivé')
    expect(byTestId(disable!, 'audit-outcome').textContent).toBe('Réussi')
    expect(byTestId(disable!, 'audit-actor-name').textContent).toBe('principal')
    expect(disable!.textContent).toContain('Administrateur')
    expect(byTestId(disable!, 'audit-target-name').textContent).toContain('mrsmith')

    expect(byTestId(download!, 'audit-actor-name').textContent).toBe('Zoé Côté-Ngô')
    expect(download!.textContent).toContain('Élève')
    expect(byTestId<HTMLAnchorElement>(download!, 'audit-exam-link').textContent).toBe('Maths — juin')
    expect(byTestId<HTMLAnchorElement>(download!, 'audit-exam-link').getAttribute('href')).toBe('/admin/exams/ex1')
    expect(download!.querySelector('[data-testid="audit-metadata"]')).toBeNull()

    // Done by no account (a seed, a maintenance job): "Système", not the username it created.
    expect(byTestId(seeded!, 'audit-actor-name').textContent).toBe('Système')
    expect(seeded!.querySelector('.audit-table__sub')).toBeNull() // no role line under "Système"
    expect(byTestId(seeded!, 'audit-target-name').textContent).toContain('tess')

    // Ids and network details only in the collapsed details of each row.
    for (const row of allByTestId(root(), 'audit-row')) {
      const visible = Array.from(row.children)
        .map((cell) => (cell.querySelector('details') ? '' : cell.textContent))
        .join(' ')
      expect(visible).not.toMatch(/a1b2c3d4e5f6|deadbeef0001|f00dfeed|203\.0\.113\.9/)
      expect(row.querySelector('details')!.open).toBe(false)
    }
    expect(byTestId(root(), 'audit-count').textContent).toContain('4')
    expect(byTestId(root(), 'audit-failures').textContent).toBe('1 échec')
  })

  it('filters by picking an exam, an actor and an action; the dates are sent in UTC', async () => {
    const { calls } = mockFetch(routes())
    view = await mountAt('/admin/audit', 'fr')
    await vi.waitFor(() => expect(optionTexts('audit-filter-exam')).toContain('Histoire'))
    await vi.waitFor(() => expect(optionTexts('audit-filter-actor')).toContain('tess (Enseignant)'))
    expect(optionTexts('audit-filter-exam')).toEqual(['Tous les examens', 'Maths — juin', 'Histoire'])
    expect(optionTexts('audit-filter-actor')).toEqual(['Tout le monde', 'principal (Administrateur)', 'tess (Enseignant)'])
    const actions = optionTexts('audit-filter-action')
    expect(actions[0]).toBe('Toutes les actions')
    expect(actions).toContain('Copie finalisée')
    expect(actions).toContain('Connexion (élève)')
    expect(actions.slice(1)).toEqual([...actions.slice(1)].sort((a, b) => a.localeCompare(b)))
    expect(auditCalls(calls)).toHaveLength(1)

    pick('audit-filter-exam', 'ex1')
    pick('audit-filter-actor', 'u2')
    pick('audit-filter-action', 'copy.finalize')
    typeInto(byTestId(root(), 'audit-filter-since'), '2025-06-12T08:30') // Paris, summer time: UTC+2
    typeInto(byTestId(root(), 'audit-filter-until'), '2025-12-01T00:00') // Paris, winter time: UTC+1
    byTestId<HTMLButtonElement>(root(), 'audit-filter-submit').click()
    await vi.waitFor(() => expect(auditCalls(calls)).toHaveLength(2))
    const url = new URL(auditCalls(calls)[1]!.url, 'http://localhost')
    const expected = {
      exam_id: 'ex1',
      actor: 'u2',
      action: 'copy.finalize',
      since: '2025-06-12T06:30:00Z',
      until: '2025-11-30T23:00:00Z',
    }
    expect(Object.fromEntries(url.searchParams)).toEqual(expected)
    expect(view!.router.currentRoute.value.query).toEqual(expected) // reload, share

    // Only the chosen filters are sent; the same search again reloads.
    pick('audit-filter-actor', '')
    pick('audit-filter-action', '')
    typeInto(byTestId(root(), 'audit-filter-until'), '')
    byTestId<HTMLButtonElement>(root(), 'audit-filter-submit').click()
    await vi.waitFor(() => expect(auditCalls(calls)).toHaveLength(3))
    expect(auditCalls(calls)[2]!.url).toBe('/api/audit?exam_id=ex1&since=2025-06-12T06%3A30%3A00Z')
    byTestId<HTMLButtonElement>(root(), 'audit-filter-submit').click()
    await vi.waitFor(() => expect(auditCalls(calls)).toHaveLength(4))
    expect(auditCalls(calls)[3]!.url).toBe(auditCalls(calls)[2]!.url)
  })

  it('shows a copy’s history from a row, as a chip that can be removed', async () => {
    const { calls } = mockFetch(routes())
    view = await mountAt('/admin/audit', 'fr')
    await vi.waitFor(() => expect(allByTestId(root(), 'audit-copy-filter')).toHaveLength(1))
    byTestId<HTMLButtonElement>(root(), 'audit-copy-filter').click()
    await vi.waitFor(() => expect(auditCalls(calls)).toHaveLength(2))
    expect(auditCalls(calls)[1]!.url).toBe('/api/audit?copy_id=c1')
    await flush()
    expect(byTestId(root(), 'audit-copy-chip').textContent).toContain('Historique d’une copie')

    byTestId<HTMLButtonElement>(root(), 'audit-copy-clear').click()
    await vi.waitFor(() => expect(auditCalls(calls)).toHaveLength(3))
    expect(auditCalls(calls)[2]!.url).toBe('/api/audit')
    await flush()
    expect(root().querySelector('[data-testid="audit-copy-chip"]')).toBeNull()
  })

  it('reads the filters from the page URL, names an exam no longer listed, refuses a start after the end', async () => {
    const { calls } = mockFetch(routes())
    view = await mountAt('/admin/audit?exam_id=gone&action=exam.delete&since=2025-06-12T06:30:00Z', 'fr')
    await vi.waitFor(() => expect(auditCalls(calls)).toHaveLength(1))
    expect(auditCalls(calls)[0]!.url).toBe('/api/audit?exam_id=gone&action=exam.delete&since=2025-06-12T06%3A30%3A00Z')
    await flush()
    expect(byTestId<HTMLSelectElement>(root(), 'audit-filter-exam').value).toBe('gone')
    expect(byTestId<HTMLSelectElement>(root(), 'audit-filter-action').value).toBe('exam.delete')
    expect(byTestId<HTMLInputElement>(root(), 'audit-filter-since').value).toBe('2025-06-12T08:30')

    typeInto(byTestId(root(), 'audit-filter-until'), '2025-06-01T00:00')
    byTestId<HTMLButtonElement>(root(), 'audit-filter-submit').click()
    await vi.waitFor(() => byTestId(root(), 'audit-filter-error'))
    expect(byTestId(root(), 'audit-filter-error').textContent).toBe('Le début doit précéder la fin.')
    expect(auditCalls(calls)).toHaveLength(1)
  })

  it('keeps the English screen in English', async () => {
    mockFetch(routes())
    view = await mountAt('/admin/audit')
    await vi.waitFor(() => expect(allByTestId(root(), 'audit-row')).toHaveLength(4))
    expect(byTestId(allByTestId(root(), 'audit-row')[0]!, 'audit-action-label').textContent).toBe('Sign-in (staff)')
    expect(byTestId(root(), 'audit-failures').textContent).toBe('1 failed')
  })
})

// ---------------------------------------------------------------------------
// Every action the server records has words in both languages
// ---------------------------------------------------------------------------

function pythonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === '__pycache__' ? [] : pythonFiles(path)
    return name.endsWith('.py') ? [path] : []
  })
}

/** Action codes passed to `audit.record(`, `copy_event(` and `build_event(`, and the students' table. */
function recordedActions(): Set<string> {
  const found = new Set<string>()
  const call = /(?:audit\.record|copy_event|build_event)\(\s*(f?)"([a-z_{}.]+)"/g
  for (const file of [...pythonFiles('../chalicelib'), ...pythonFiles('../functions')]) {
    const source = readFileSync(file, 'utf-8')
    for (const m of source.matchAll(call)) {
      const [, fString, code] = m
      if (!code) continue
      // f"{kind}.login": staff and student sign-ins (and sign-outs).
      if (fString) for (const kind of ['staff', 'student']) found.add(code.replace(/\{[^}]+\}/, kind))
      else found.add(code)
    }
    const table = /AUDIT_ACTIONS[^=]*=\s*\{([^}]*)\}/.exec(source)
    for (const m of table?.[1]?.matchAll(/:\s*"([a-z_.]+)"/g) ?? []) if (m[1]) found.add(m[1])
  }
  return found
}

describe('audit action words', () => {
  it('word every action the server records, in French and in English', () => {
    const recorded = recordedActions()
    expect(recorded.size).toBeGreaterThan(40)
    expect(recorded).toContain('copy.finalize')
    expect(recorded).toContain('student.login')
    const missing = [...recorded].filter((code) => !AUDIT_ACTIONS.includes(code))
    expect(missing).toEqual([])
    for (const locale of ['fr', 'en'] as const) {
      setLocale(locale)
      for (const code of AUDIT_ACTIONS) {
        expect(has(`audit.actions.${code}`)).toBe(true)
        expect(auditActionLabel(code)).not.toBe(code)
      }
    }
  })

  it('shows an unknown action as it is', () => {
    setLocale('fr')
    expect(auditActionLabel('copy.finalize')).toBe('Copie finalisée')
    expect(auditActionLabel('something.new')).toBe('something.new')
    expect(auditActionLabel('copy')).toBe('copy')
  })
})
