import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { detectDelimiter, previewCsv } from '../src/lib/csvPreview'
import { decodeCsv, mappingRows } from '../src/lib/rosterFile'
import { resetSessionState } from '../src/stores/session'
import { json, mockFetch } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, type Mounted } from './mount'

/** "Nom;Prénom;Classe\r\nLEFÈVRE;Chloé;3B" as French Excel saves it (Windows-1252). */
const CP1252 = new Uint8Array([
  ...new TextEncoder().encode('Nom;Pr'), 0xe9, ...new TextEncoder().encode('nom;Classe\r\nLEF'), 0xc8,
  ...new TextEncoder().encode('VRE;Chlo'), 0xe9, ...new TextEncoder().encode(';3B\r\n'),
])

describe('roster files', () => {
  it('decodes UTF-8 as such and a French Excel file as Windows-1252', () => {
    expect(decodeCsv(new TextEncoder().encode('\uFEFFNom;Prénom\n'))).toEqual({ text: 'Nom;Prénom\n', encoding: 'UTF-8' })
    const { text, encoding } = decodeCsv(CP1252)
    expect(encoding).toBe('Windows-1252')
    expect(previewCsv(text).rows).toEqual([['Nom', 'Prénom', 'Classe'], ['LEFÈVRE', 'Chloé', '3B']])
  })

  it('detects a tab and ignores separators inside quoted headers', () => {
    expect(detectDelimiter('Email\tFirst name\tLast name')).toBe('\t')
    expect(detectDelimiter('"Nom, usuel";"Prénom";Classe')).toBe(';')
    expect(detectDelimiter('Nom')).toBe(',')
  })

  it('lists the mapping in Korrigo field order', () => {
    const rows = mappingRows({
      encoding: 'UTF-8', delimiter: ',', ignored: [],
      columns: { email: 'Courriel', first_name: 'Prénom', last_name: 'Nom' },
    })
    expect(rows).toEqual([
      { column: 'Nom', field: 'Last name' },
      { column: 'Prénom', field: 'First name' },
      { column: 'Courriel', field: 'Email' },
    ])
  })
})

describe('roster screen: how the file is read', () => {
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
    resetSessionState()
  })

  it('previews a Windows-1252 file readably and shows the column mapping of the import', async () => {
    const mapping = {
      encoding: 'Windows-1252', delimiter: ';', ignored: ['Remarques'],
      columns: { last_name: 'Nom', first_name: 'Prénom', class_name: 'Classe' },
    }
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/students': json(200, { students: [] }),
      'POST /api/exams/ex1/roster': json(202, { job_id: 'j1', status: 'PENDING', total: 1, errors: [], mapping }),
      'GET /api/exams/ex1/account-jobs/j1': json(200, {
        job_id: 'j1', kind: 'roster_import', status: 'DONE', total: 1, processed: 1, created: 1, updated: 0,
        errors: [], error: null, credentials_csv_url: null,
      }),
    })
    view = await mountAt('/admin/exams/ex1/roster')
    await vi.waitFor(() => byTestId(view!.root, 'roster-file'))
    const input = byTestId<HTMLInputElement>(view.root, 'roster-file')
    Object.defineProperty(input, 'files', { value: [new File([CP1252], 'eleves.csv')] })
    input.dispatchEvent(new Event('change'))
    await vi.waitFor(() => expect(byTestId(view!.root, 'roster-preview').textContent).toContain('LEFÈVRE'))
    expect(byTestId(view.root, 'roster-preview').textContent).toContain('Windows-1252')
    expect(view.root.querySelector('[data-testid="roster-mapping"]')).toBeNull()

    byTestId<HTMLButtonElement>(view.root, 'roster-import').click()
    await vi.waitFor(() => byTestId(view!.root, 'roster-mapping'))
    await flush()
    expect(allByTestId(view.root, 'roster-mapping-row').map((r) => r.textContent)).toEqual([
      'NomLast name', 'PrénomFirst name', 'ClasseClass',
    ])
    expect(byTestId(view.root, 'roster-mapping-ignored').textContent).toBe('Remarquesignored')
  })
})
