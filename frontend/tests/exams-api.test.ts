import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ApiError, resetClientState, setCsrfToken } from '../src/api/client'
import { examsApi, fieldErrors, lineErrors, schemeErrorTarget } from '../src/api/exams'
import { rosterApi } from '../src/api/roster'
import { setLocale } from '../src/i18n'
import { apiError, json, mockFetch, staffAdmin } from './helpers'

beforeEach(() => resetClientState())
afterEach(() => resetClientState())

/** Pronote export with a BOM and accents, as the school's software writes it. */
const PRONOTE = '\uFEFFÉlèves;Né(e) le;Adresse E-mail;Classe;Groupe\r\nDUPONT Éloïse;03/04/2009;eloise@school.test;3A;G1\r\n'

/** The import runs as a job: the API answers at once with its id and the parsed rows' count. */
const ACCEPTED = { job_id: 'job1', status: 'PENDING', total: 1, errors: [] }

describe('roster import', () => {
  it('POSTs the raw file with Content-Type text/csv and the CSRF token', async () => {
    setCsrfToken('tok-csrf')
    const { calls } = mockFetch({
      'POST /api/exams/ex1/roster': json(202, ACCEPTED),
    })
    const file = new File([PRONOTE], 'eleves.csv', { type: 'application/vnd.ms-excel' })

    const result = await rosterApi.importRoster('ex1', file)

    expect(calls).toHaveLength(1)
    const call = calls[0]!
    expect(call.method).toBe('POST')
    expect(call.url).toBe('/api/exams/ex1/roster')
    expect(call.headers.get('Content-Type')).toBe('text/csv')
    expect(call.headers.get('X-CSRF-Token')).toBe('tok-csrf')
    expect(call.credentials).toBe('same-origin')
    // The body is the file itself: not JSON, not re-encoded, BOM included.
    expect(call.body).toBe(file)
    const bytes = new Uint8Array(await (call.body as Blob).arrayBuffer())
    expect(Array.from(bytes.slice(0, 3))).toEqual([0xef, 0xbb, 0xbf])
    expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)).toBe(PRONOTE)
    expect(result).toEqual(ACCEPTED)
  })

  it('sends CSV text unchanged (no JSON quoting)', async () => {
    setCsrfToken('tok')
    const { calls } = mockFetch({
      'POST /api/exams/ex1/roster': json(202, ACCEPTED),
    })
    const text = 'last_name,first_name,email\nLee,Sam,sam@x.test\n'
    await rosterApi.importRoster('ex1', text)
    expect(calls[0]!.body).toBe(text)
    expect(calls[0]!.headers.get('Content-Type')).toBe('text/csv')
  })

  it('after a reload, fetches the CSRF token before posting the file', async () => {
    const { calls } = mockFetch({
      'GET /api/me': json(200, { user: staffAdmin, csrf_token: 'from-me' }),
      'POST /api/exams/ex1/roster': json(202, ACCEPTED),
    })
    await rosterApi.importRoster('ex1', new Blob(['a,b\n'], { type: 'text/csv' }))
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/me', 'POST /api/exams/ex1/roster'])
    expect(calls[1]!.headers.get('X-CSRF-Token')).toBe('from-me')
  })

  it('keeps the per-line errors of a structural 400', async () => {
    setCsrfToken('tok')
    mockFetch({
      'POST /api/exams/ex1/roster': json(400, {
        error: { code: 'invalid_csv', message: 'Unknown header.' },
        errors: [{ line: 1, message: 'Unknown column "Foo".' }],
      }),
    })
    const err = await rosterApi.importRoster('ex1', 'Foo\n1\n').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 400, code: 'invalid_csv', message: 'Unknown header.' })
    expect(lineErrors(err)).toEqual([{ line: 1, message: 'Unknown column "Foo".' }])
  })
})

describe('error details', () => {
  it('maps the `fields` of a 400 to messages per field', async () => {
    setCsrfToken('tok')
    mockFetch({
      'POST /api/exams': json(400, {
        error: { code: 'validation_error', message: 'Check the form.' },
        fields: [{ field: 'pages_per_copy', message: 'Required in BATCH mode.' }],
      }),
    })
    const err = await examsApi
      .create({ name: 'X', subject: 'Y', date: '2025-01-01', upload_mode: 'BATCH' })
      .catch((e: unknown) => e)
    expect(fieldErrors(err)).toEqual({ pages_per_copy: 'Required in BATCH mode.' })
  })

  it('words a field error by its reason in French, naming the field by its label', async () => {
    setCsrfToken('tok')
    const field = { field: 'name', message: 'String should have at most 200 characters', reason: 'too_long', params: { field: 'name', max: 200 } }
    mockFetch({
      'POST /api/exams': json(400, { error: { code: 'validation_error', message: 'Check the form.' }, fields: [field] }),
    })
    const err = await examsApi
      .create({ name: 'X', subject: 'Y', date: '2025-01-01', upload_mode: 'BATCH' })
      .catch((e: unknown) => e)
    setLocale('fr')
    expect(fieldErrors(err, { name: 'Nom' })).toEqual({ name: 'Le champ « Nom » contient au plus 200 caractères.' })
    setLocale('en')
    expect(fieldErrors(err, { name: 'Name' })).toEqual({ name: 'String should have at most 200 characters' })
  })

  it('reads node_id and path of a marking-scheme error', async () => {
    setCsrfToken('tok')
    mockFetch({
      'PUT /api/exams/ex1/marking-scheme': json(422, {
        error: { code: 'invalid_scheme', message: 'Points must be positive.' },
        path: '1.2',
      }),
    })
    const err = await examsApi.saveMarkingScheme('ex1', [{ label: 'A', points: 1 }]).catch((e: unknown) => e)
    expect(schemeErrorTarget(err)).toEqual({ nodeId: null, path: '1.2' })
    expect(schemeErrorTarget(new ApiError(409, 'x', 'y'))).toEqual({ nodeId: null, path: null })
  })

  it('keeps the 413 message of the upload creation', async () => {
    setCsrfToken('tok')
    mockFetch({ 'POST /api/exams/ex1/uploads': apiError(413, 'too_large', 'The file is over 500 MB.') })
    await expect(examsApi.createUpload('ex1', 'big.pdf', 9e9)).rejects.toMatchObject({
      status: 413,
      message: 'The file is over 500 MB.',
    })
  })
})
