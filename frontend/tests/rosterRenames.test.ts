/**
 * The roster tab in French: the mapping, the renames an import would make (asked, then confirmed),
 * and the one-time credentials sheet that also gives the printable login slips.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { lineErrorText, renameText, type RosterRename } from '../src/api/roster'
import { setLocale } from '../src/i18n'
import { resetSessionState } from '../src/stores/session'
import { json, mockFetch } from './helpers'
import { allByTestId, byTestId, chooseFiles, examFixture, flush, mountAt, type Mounted } from './mount'

const saved = vi.hoisted(() => [] as { blob: Blob; filename: string }[])
vi.mock('../src/lib/download', () => ({
  saveBlob: (blob: Blob, filename: string) => saved.push({ blob, filename }),
  navigateTo: () => undefined,
}))

let view: Mounted | null = null
const root = () => view!.root

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
  vi.stubGlobal('scrollTo', vi.fn())
  saved.length = 0
})

afterEach(() => {
  view?.unmount()
  view = null
  resetClientState()
  resetSessionState()
})

const CSV = 'Nom;Prénom;Classe;Courriel\r\nDupont-Martin;Marie;1G2;marie.dupont@lycee.example.org\r\n'
const MAPPING = {
  encoding: 'Windows-1252', delimiter: ';', ignored: ['Remarque'],
  columns: { last_name: 'Nom', first_name: 'Prénom', class_name: 'Classe', email: 'Courriel' },
}
const RENAME: RosterRename = {
  line: 2, student_id: 's1', old: { last_name: 'Dupont', first_name: 'Marie' },
  new: { last_name: 'Dupont-Martin', first_name: 'Marie' }, email: 'marie.dupont@lycee.example.org',
  student_number: null, login_id: null,
}
const job = (fields: Record<string, unknown> = {}) => ({
  job_id: 'j1', kind: 'roster_import', status: 'DONE', total: 1, processed: 1, created: 0, updated: 1,
  errors: [], error: null, credentials_csv_url: null, ...fields,
})

async function chooseAndImport(): Promise<void> {
  view = await mountAt('/admin/exams/ex1/roster', 'fr')
  await vi.waitFor(() => byTestId(root(), 'roster-file'))
  chooseFiles(byTestId<HTMLInputElement>(root(), 'roster-file'), [new File([CSV], 'eleves.csv')])
  await flush()
  byTestId<HTMLButtonElement>(root(), 'roster-import').click()
}

describe('renames', () => {
  it('read as "old → new (e-mail)"', () => {
    expect(renameText(RENAME)).toBe('Dupont Marie → Dupont-Martin Marie (marie.dupont@lycee.example.org)')
    expect(renameText({ ...RENAME, email: null, login_id: 'marie.dupont.482' })).toBe(
      'Dupont Marie → Dupont-Martin Marie (marie.dupont.482)',
    )
  })
})

describe('line errors', () => {
  it('are worded in French from their reason, else in the server’s words', () => {
    setLocale('fr')
    const repeated = {
      line: 7, message: 'the e-mail zoe@lycee.example.org is already on line 6', reason: 'roster_line_email_repeated',
      params: { first: 6, email: 'zoe@lycee.example.org', number: null },
    }
    expect(lineErrorText(repeated)).toBe('l’adresse e-mail zoe@lycee.example.org figure déjà ligne 6')
    expect(lineErrorText({ line: 2, message: 'Invalid email address.' })).toBe('Invalid email address.')
    setLocale('en')
    expect(lineErrorText(repeated)).toBe('the e-mail zoe@lycee.example.org is already on line 6')
  })
})

describe('roster tab in French: a re-import that renames a student', () => {
  it('lists the rename, imports nothing until confirmed, then sends the confirmation', async () => {
    let posts = 0
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': json(200, { students: [] }),
      'POST /api/exams/ex1/roster': () => {
        posts += 1
        return posts === 1
          ? json(409, {
              error: { code: 'conflict', message: '1 student(s)…', reason: 'roster_renames_unconfirmed', params: { count: 1 } },
              renames: [RENAME], confirm_token: 'abc123', total: 1, mapping: MAPPING,
              errors: [{ line: 3, message: "the e-mail 'x' is not valid", reason: 'roster_line_email_invalid', params: { value: 'x' } }],
            })
          : json(202, { job_id: 'j1', status: 'PENDING', total: 1, errors: [], mapping: MAPPING, renames: [RENAME] })
      },
      'GET /api/exams/ex1/account-jobs/j1': json(200, job()),
    })
    await chooseAndImport()

    await vi.waitFor(() => byTestId(root(), 'roster-renames'))
    const box = byTestId(root(), 'roster-renames')
    expect(box.textContent).toContain('Changements de nom à confirmer')
    expect(box.textContent).toContain('donnerait un autre nom à 1 élève déjà inscrit')
    expect(box.textContent).toContain('Rien n’a encore été importé')
    expect(allByTestId(root(), 'roster-rename-row').map((r) => r.textContent?.trim())).toEqual([
      'Dupont Marie → Dupont-Martin Marie (marie.dupont@lycee.example.org) · ligne 2',
    ])
    expect(allByTestId(root(), 'roster-mapping-row').map((r) => r.textContent)).toEqual([
      'NomNom', 'PrénomPrénom', 'CourrielAdresse e-mail', 'ClasseClasse',
    ])
    expect(byTestId(root(), 'roster-mapping-ignored').textContent).toBe('Remarqueignorée')
    expect(byTestId(root(), 'roster-mapping').textContent).toContain('Lecture du fichier (Windows-1252, séparateur « ; »)')
    expect(root().querySelector('[data-testid="roster-job"]')).toBeNull()
    expect(byTestId(root(), 'roster-errors').textContent).toContain('l’adresse e-mail « x » n’est pas valide')
    expect(calls.filter((c) => c.method === 'POST')[0]!.url).not.toContain('confirm_renames')

    byTestId<HTMLButtonElement>(root(), 'roster-renames-confirm').click()
    await vi.waitFor(() => byTestId(root(), 'roster-result'), { timeout: 3000 })
    expect(calls.filter((c) => c.method === 'POST')[1]!.url).toContain('confirm_renames=abc123')
    expect(root().querySelector('[data-testid="roster-renames"]')).toBeNull()
    expect(byTestId(root(), 'roster-renames-applied').textContent).toContain('1 changement de nom confirmé.')
    expect(byTestId(root(), 'roster-result').textContent).toContain('Import terminé :')
    expect(byTestId(root(), 'roster-updated').textContent).toBe('1')
  }, 20_000)

  it('drops the file’s import when the admin declines', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': json(200, { students: [] }),
      'POST /api/exams/ex1/roster': json(409, {
        error: { code: 'conflict', message: '…', reason: 'roster_renames_unconfirmed' },
        renames: [RENAME], confirm_token: 'abc123', errors: [], mapping: MAPPING,
      }),
    })
    await chooseAndImport()
    await vi.waitFor(() => byTestId(root(), 'roster-renames'))
    byTestId<HTMLButtonElement>(root(), 'roster-renames-cancel').click()
    await flush()
    expect(root().querySelector('[data-testid="roster-renames"]')).toBeNull()
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1)
  })
})

describe('roster tab in French: the one-time sheet gives the CSV and the login slips', () => {
  it('downloads the sheet once, saves the CSV and builds the slips PDF from the same bytes', async () => {
    const sheet =
      '\uFEFFlast_name;first_name;class;sign_in;initial_password\r\n' +
      'LEFÈVRE;Éloïse;1G2;eloise@lycee.example.org;Granite-Harbor-Lamp-72\r\n' +
      'BLANC;Françoise;1G2;francoise.blanc.482;Copper-River-Nest-15\r\n'
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': json(200, { students: [] }),
      'POST /api/exams/ex1/roster': json(202, { job_id: 'j1', status: 'PENDING', total: 2, errors: [], mapping: MAPPING }),
      'GET /api/exams/ex1/account-jobs/j1': json(200, job({
        total: 2, processed: 2, created: 2, updated: 0, credentials_csv_url: '/api/exams/ex1/account-jobs/j1/credentials',
      })),
      'GET /api/exams/ex1/account-jobs/j1/credentials': () => new Response(sheet, {
        status: 200,
        headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="credentials-ex1-j1.csv"' },
      }),
    })
    await chooseAndImport()
    await vi.waitFor(() => byTestId(root(), 'roster-credentials'), { timeout: 3000 })
    const link = byTestId<HTMLAnchorElement>(root(), 'roster-credentials')
    expect(link.textContent).toContain('Télécharger les identifiants (une seule fois)')
    expect(byTestId(root(), 'roster-credentials-box').textContent).toContain('Ce lien ne fonctionne qu’une fois.')

    link.click()
    await vi.waitFor(() => byTestId(root(), 'roster-slips'))
    expect(calls.filter((c) => c.url.endsWith('/credentials'))).toHaveLength(1)
    expect(saved.map((s) => s.filename)).toEqual(['credentials-ex1-j1.csv'])
    expect(root().querySelector('[data-testid="roster-credentials"]')).toBeNull()

    byTestId<HTMLButtonElement>(root(), 'roster-slips').click()
    await vi.waitFor(() => expect(saved).toHaveLength(2), { timeout: 5000 })
    const pdf = saved[1]!
    expect(pdf.filename).toBe('fiches-de-connexion-ex1-j1.pdf')
    expect(pdf.blob.type).toBe('application/pdf')
    const { PDFDocument } = await import('pdf-lib')
    const doc = await PDFDocument.load(new Uint8Array(await pdf.blob.arrayBuffer()))
    expect(doc.getPageCount()).toBe(1)
    expect(doc.getTitle()).toBe('Fiches de connexion')

    byTestId<HTMLButtonElement>(root(), 'roster-credentials-csv').click()
    expect(saved.map((s) => s.filename)).toEqual(['credentials-ex1-j1.csv', 'fiches-de-connexion-ex1-j1.pdf', 'credentials-ex1-j1.csv'])
    expect(calls.filter((c) => c.url.endsWith('/credentials'))).toHaveLength(1) // the link was used once
  }, 20_000)
})
