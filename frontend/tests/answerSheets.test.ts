import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { json, mockFetch, type Responder } from './helpers'
import { byTestId, examFixture, flush, mountAt, typeInto, type Mounted } from './mount'
import '../src/views/ExamDetailView.vue'
import '../src/views/exam/ExamUploads.vue'
import '../src/layouts/AppLayout.vue'

const LINK = 'https://bucket.s3.test/sheets/ex1/j1.pdf?X-Amz-Signature=abc'

function api(sheets: Responder, overrides: Record<string, Responder> = {}, exam = examFixture()) {
  return mockFetch({
    'GET /api/exams/ex1': json(200, exam),
    'GET /api/exams/ex1/uploads': () => json(200, { uploads: [] }),
    'GET /api/exams/ex1/loose-pages': () => json(200, { pages: [] }),
    'GET /api/exams/ex1/sheets': sheets,
    ...overrides,
  })
}

let view: Mounted | null = null

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok-csrf')
  vi.stubGlobal('scrollTo', vi.fn())
})

afterEach(() => {
  view?.unmount()
  view = null
  resetClientState()
  vi.useRealTimers()
})

async function open(): Promise<Mounted> {
  view = await mountAt('/admin/exams/ex1/uploads', 'fr')
  await vi.waitFor(() => byTestId(view!.root, 'sheets-status'))
  return view
}

describe('personalised answer sheets (French)', () => {
  it('asks for the sheets with anonymous booklets, follows the run, then offers the PDF', async () => {
    let reads = 0
    const mock = api(() => {
      reads += 1
      return json(200, reads === 1 ? { status: 'NONE' } : reads === 2 ? { status: 'PENDING' } : {
        status: 'DONE', url: LINK, pages: 1264, booklets: 316, extra_blank_booklets: 3,
        requested_at: '2025-06-12T10:00:00Z' })
    }, { 'POST /api/exams/ex1/sheets': () => json(202, { status: 'PENDING', extra_blank_booklets: 3 }) })
    const v = await open()

    const card = byTestId(v.root, 'sheets')
    expect(card.querySelector('h2')!.textContent).toContain('Copies personnalisées (QR)')
    expect(card.compareDocumentPosition(byTestId(v.root, 'upload-file')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
    typeInto(byTestId<HTMLInputElement>(v.root, 'sheets-extra'), '3')
    byTestId<HTMLButtonElement>(v.root, 'sheets-generate').click()
    await flush()

    const post = mock.calls.find((c) => c.method === 'POST')!
    expect(post.url).toBe('/api/exams/ex1/sheets')
    expect(post.body).toEqual({ extra_blank_booklets: 3 })
    expect(post.headers.get('X-CSRF-Token')).toBe('tok-csrf')
    expect(byTestId(v.root, 'sheets-status').textContent).toContain('Génération en cours')
    expect(byTestId<HTMLButtonElement>(v.root, 'sheets-generate').disabled).toBe(true)

    await vi.waitFor(() => expect(byTestId(v.root, 'sheets-status').dataset.status).toBe('DONE'), { timeout: 7000 })
    const status = byTestId(v.root, 'sheets-status').textContent!
    expect(status).toContain('Prêt : 316 livrets, 1\u202f264 pages.')
    expect(byTestId<HTMLAnchorElement>(v.root, 'sheets-download').href).toBe(LINK)
    expect(byTestId<HTMLButtonElement>(v.root, 'sheets-generate').disabled).toBe(false)
  }, 10000)

  it('words a refusal in French and shows why a run failed', async () => {
    api(() => json(200, { status: 'FAILED', error: 'The answer sheets could not be printed: boom' }), {
      'POST /api/exams/ex1/sheets': () =>
        json(409, { error: { code: 'conflict', reason: 'sheets_nothing_to_print', message: 'The roster is empty' } }),
    })
    const v = await open()
    expect(byTestId(v.root, 'sheets-failed').textContent).toContain('La génération a échoué.')

    byTestId<HTMLButtonElement>(v.root, 'sheets-generate').click()
    await flush()
    expect(byTestId(v.root, 'sheets-error').textContent).toContain('La liste des élèves est vide')
  })

  it('refuses a count out of range before asking the server', async () => {
    const mock = api(() => json(200, { status: 'NONE' }))
    const v = await open()
    typeInto(byTestId<HTMLInputElement>(v.root, 'sheets-extra'), '201')
    await flush()
    expect(byTestId<HTMLButtonElement>(v.root, 'sheets-generate').disabled).toBe(true)
    expect(mock.calls.some((c) => c.method === 'POST')).toBe(false)
  })

  it('asks for the page count first when the exam has none', async () => {
    api(() => json(200, { status: 'NONE' }), {}, examFixture({ upload_mode: 'INDIVIDUAL', pages_per_copy: null }))
    const v = await open()
    expect(byTestId(v.root, 'sheets-no-page-count').textContent).toContain('nombre de pages par copie')
    expect(byTestId<HTMLButtonElement>(v.root, 'sheets-generate').disabled).toBe(true)
  })
})

describe('useAnswerSheets', () => {
  it('keeps following a generation asked for before the first status read came back', async () => {
    const { sheetsApi } = await import('../src/api/sheets')
    const { useAnswerSheets } = await import('../src/composables/useAnswerSheets')
    const { createApp, h } = await import('vue')
    let answerFirstRead: (value: { status: 'NONE' }) => void = () => {}
    const reads = vi
      .spyOn(sheetsApi, 'get')
      .mockImplementationOnce(() => new Promise((resolve) => (answerFirstRead = resolve)))
      .mockResolvedValue({ status: 'PENDING' } as never)
    vi.spyOn(sheetsApi, 'generate').mockResolvedValue({ status: 'PENDING' } as never)
    let state: ReturnType<typeof useAnswerSheets> | null = null
    const app = createApp({ setup: () => ((state = useAnswerSheets(() => 'ex1', 10)), () => h('div')) })
    app.mount(document.createElement('div'))

    const firstRead = state!.load()
    await state!.generate(0)
    answerFirstRead({ status: 'NONE' })
    await firstRead

    expect(state!.sheets.value?.status).toBe('PENDING')
    expect(state!.running.value).toBe(true)
    await vi.waitFor(() => expect(reads.mock.calls.length).toBeGreaterThan(1)) // still polling
    app.unmount()
  })
})
