import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { guessedPosition } from '../src/composables/useLoosePages'
import { json, mockFetch, type Call } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, press, type Mounted } from './mount'
import '../src/views/ExamDetailView.vue'
import '../src/views/exam/ExamUploads.vue'
import '../src/layouts/AppLayout.vue'

function loosePage(id: string, sourcePage: number, extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    id,
    upload_id: 'u1',
    filename: 'lot.pdf',
    source_page: sourcePage,
    width: 1240,
    height: 1754,
    url: `https://bucket.s3.test/pages/ex1/loose/u1-${id}.jpg?X-Amz-Signature=abc`,
    created_at: '2025-06-12T10:00:00Z',
  }
}

function copy(id: string, anonymous: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    exam_id: 'ex1',
    anonymous_id: anonymous,
    status,
    page_count: 4,
    teacher_id: null,
    teacher_username: null,
    grading_error: null,
    updated_at: '2025-06-12T10:00:00Z',
    reopened: null,
    upload_id: 'u1',
    student: null,
    ...extra,
  }
}

const UPLOAD = {
  id: 'u1',
  filename: 'lot.pdf',
  size: 1000,
  status: 'DONE',
  error: null,
  copies: 7,
  pages: 28,
  created_at: '2025-06-12T10:00:00Z',
}

/** The API of an exam with two pages to place; `pages` shrinks as they are placed. */
function api(overrides: Record<string, (call: Call) => Response> = {}) {
  const state = { pages: [loosePage('101', 29), loosePage('102', 30)] }
  const mock = mockFetch({
    'GET /api/exams/ex1': json(200, examFixture()),
    'GET /api/exams/ex1/uploads': () => json(200, { uploads: [UPLOAD] }),
    'GET /api/exams/ex1/loose-pages': () => json(200, { pages: state.pages }),
    'GET /api/exams/ex1/copies': () =>
      json(200, {
        copies: [
          copy('c2', 'ABCD-002', 'READY'),
          copy('c1', 'ABCD-001', 'STAGING'),
          copy('c3', 'ABCD-003', 'READY', { teacher_id: 't1', teacher_username: 'tess' }),
          copy('c4', 'ABCD-004', 'GRADED'),
        ],
      }),
    ...overrides,
  })
  return { ...mock, state }
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
})

async function open(): Promise<Mounted> {
  view = await mountAt('/admin/exams/ex1/uploads', 'fr')
  await vi.waitFor(() => expect(allByTestId(view!.root, 'loose-page')).toHaveLength(2))
  return view
}

describe('pages to place (French)', () => {
  it('lists the pages left over with thumbnails, counts them on their scan, and enlarges one', async () => {
    api()
    const v = await open()

    expect(byTestId(v.root, 'loose-pages').querySelector('h2')!.textContent).toContain('Pages à placer')
    expect(byTestId(v.root, 'loose-count').textContent).toBe('2 pages')
    expect(byTestId(v.root, 'upload-loose').textContent).toBe('2 pages à placer')
    expect(byTestId(v.root, 'upload-status').textContent).toBe('Traité')
    const first = allByTestId(v.root, 'loose-page')[0]!
    expect(first.textContent).toContain('Page 29 de lot.pdf')
    expect(first.querySelector('img')!.getAttribute('src')).toContain('loose/u1-101.jpg')
    // a plain scan's page over: no reason, no guess
    expect(allByTestId(first, 'loose-reason')).toHaveLength(0)
    expect(allByTestId(first, 'loose-guess')).toHaveLength(0)

    byTestId<HTMLButtonElement>(first, 'loose-thumb').click()
    await flush()
    const viewer = byTestId(v.root, 'loose-viewer')
    expect(viewer.getAttribute('role')).toBe('dialog')
    expect(viewer.querySelector('img')!.getAttribute('alt')).toBe('Page 29 de lot.pdf')
    press(document.body, 'Escape')
    await flush()
    expect(allByTestId(v.root, 'loose-viewer')).toHaveLength(0)
  })

  it('adds a page to an undispatched copy at a position, and the list empties as pages are placed', async () => {
    const mock = api({
      'POST /api/exams/ex1/loose-pages/101/attach': () => {
        mock.state.pages = mock.state.pages.filter((p) => p.id !== '101')
        return json(200, { copy_id: 'c1', anonymous_id: 'ABCD-001', page_count: 5 })
      },
    })
    const v = await open()

    const first = allByTestId(v.root, 'loose-page')[0]!
    byTestId<HTMLButtonElement>(first, 'loose-attach-open').click()
    await vi.waitFor(() => expect(byTestId(first, 'loose-attach-copy').querySelectorAll('option')).toHaveLength(3))
    const options = Array.from(byTestId(first, 'loose-attach-copy').querySelectorAll('option')).map((o) => o.textContent!.trim())
    // dispatched and graded copies take no page; the others in anonymous-id order, their status in words
    expect(options.slice(1)).toEqual(['ABCD-001 · À identifier · 4 p.', 'ABCD-002 · Prête à corriger · 4 p.'])

    const select = byTestId<HTMLSelectElement>(first, 'loose-attach-copy')
    select.value = 'c1'
    select.dispatchEvent(new Event('change'))
    await flush()
    const position = byTestId<HTMLInputElement>(first, 'loose-attach-position')
    expect(position.value).toBe('5') // after the last page unless told otherwise
    position.value = '1'
    position.dispatchEvent(new Event('input'))
    await flush()
    byTestId<HTMLButtonElement>(first, 'loose-attach-submit').click()

    await vi.waitFor(() => expect(allByTestId(v.root, 'loose-page')).toHaveLength(1))
    const post = mock.calls.find((c) => c.method === 'POST')!
    expect(post.body).toEqual({ copy_id: 'c1', position: 1 })
    expect(post.headers.get('X-CSRF-Token')).toBe('tok-csrf')
    expect(byTestId(v.root, 'loose-notice').textContent).toBe('Page ajoutée à la copie ABCD-001 en position 1.')
    expect(byTestId(v.root, 'upload-loose').textContent).toBe('1 page à placer')
  })

  it('makes a new copy from the pages ticked, in the order ticked', async () => {
    const mock = api({
      'POST /api/exams/ex1/loose-pages/new-copy': () => {
        mock.state.pages = []
        return json(201, { copy_id: 'c9', anonymous_id: 'ABCD-009', page_count: 2 })
      },
    })
    const v = await open()
    const button = byTestId<HTMLButtonElement>(v.root, 'loose-new-copy')
    expect(button.disabled).toBe(true)

    const [first, second] = allByTestId(v.root, 'loose-page')
    byTestId<HTMLInputElement>(second!, 'loose-select').click()
    byTestId<HTMLInputElement>(first!, 'loose-select').click()
    await flush()
    expect(byTestId(second!, 'loose-order').textContent!.trim()).toBe('n° 1 dans la sélection')
    expect(button.textContent!.trim()).toBe('Nouvelle copie avec la sélection (2)')
    button.click()

    await vi.waitFor(() => expect(allByTestId(v.root, 'loose-page')).toHaveLength(0))
    expect(mock.calls.find((c) => c.method === 'POST')!.body).toEqual({ page_ids: ['102', '101'] })
    expect(byTestId(v.root, 'loose-notice').textContent).toContain('Nouvelle copie ABCD-009 créée')
    expect(allByTestId(v.root, 'upload-loose')).toHaveLength(0)
  })

  it('discards a page after a second, confirming click', async () => {
    const mock = api({
      'DELETE /api/exams/ex1/loose-pages/102': () => {
        mock.state.pages = mock.state.pages.filter((p) => p.id !== '102')
        return json(200, { id: '102', discarded: true })
      },
    })
    const v = await open()
    const discard = byTestId<HTMLButtonElement>(allByTestId(v.root, 'loose-page')[1]!, 'loose-discard')
    expect(discard.textContent!.trim()).toBe('Écarter')

    discard.click()
    await flush()
    expect(discard.textContent!.trim()).toBe('Écarter définitivement ?')
    expect(mock.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0)
    discard.click()

    await vi.waitFor(() => expect(allByTestId(v.root, 'loose-page')).toHaveLength(1))
    expect(byTestId(v.root, 'loose-notice').textContent).toBe('Page 30 de lot.pdf écartée.')
  })

  it('says so in French when another admin placed the page first', async () => {
    const mock = api({
      'DELETE /api/exams/ex1/loose-pages/101': () => {
        mock.state.pages = mock.state.pages.filter((p) => p.id !== '101')
        return json(409, { error: { code: 'conflict', reason: 'loose_page_gone', message: 'This page is no longer to place.' } })
      },
    })
    const v = await open()
    const discard = byTestId<HTMLButtonElement>(allByTestId(v.root, 'loose-page')[0]!, 'loose-discard')
    discard.click()
    await flush()
    discard.click()

    await vi.waitFor(() => expect(byTestId(v.root, 'loose-error').textContent).toContain('n’est plus à placer'))
    expect(allByTestId(v.root, 'loose-page')).toHaveLength(1) // the list was read again
  })
})

describe('uploads tab in French', () => {
  it('words the upload form and the list in French', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': json(200, { uploads: [] }),
      'GET /api/exams/ex1/loose-pages': json(200, { pages: [] }),
    })
    view = await mountAt('/admin/exams/ex1/uploads', 'fr')
    await vi.waitFor(() => byTestId(view!.root, 'uploads-table'))

    expect(view.root.textContent).toContain('Déposer des scans')
    expect(view.root.textContent).toContain('découpé en copies de 4 pages')
    expect(byTestId(view.root, 'upload-submit').textContent!.trim()).toBe('Déposer')
    expect(byTestId(view.root, 'uploads-table').textContent).toContain('Aucun dépôt pour l’instant.')
    expect(allByTestId(view.root, 'loose-pages')).toHaveLength(0) // nothing to place: no section
  })
})

describe('pages to place of a scan of personalised sheets (French)', () => {
  /** Three stray pages: an unreadable code (guessed: page 2 of ABCD-002), a duplicate, an already-scanned one. */
  function codedApi() {
    const pages = [
      loosePage('201', 3, { reason: 'unreadable', guess: { copy_id: 'c2', page: 2 } }),
      loosePage('202', 5, { reason: 'duplicate', guess: { copy_id: 'c1', page: 1 } }),
      loosePage('203', 6, { reason: 'already_scanned', guess: { copy_id: 'c3', page: 2 } }),
      loosePage('204', 7, { reason: 'unknown_booklet', guess: null }),
    ]
    const state = { pages }
    const mock = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': () => json(200, { uploads: [UPLOAD] }),
      'GET /api/exams/ex1/loose-pages': () => json(200, { pages: state.pages }),
      'GET /api/exams/ex1/copies': () =>
        json(200, {
          copies: [
            copy('c1', 'ABCD-001', 'READY', { page_count: 4, identified_by: 'code' }),
            copy('c2', 'ABCD-002', 'READY', { page_count: 3, identified_by: 'code', missing_pages: [2] }),
            copy('c3', 'ABCD-003', 'READY', { teacher_id: 't1', teacher_username: 'tess' }),
          ],
        }),
      'POST /api/exams/ex1/loose-pages/201/attach': () => {
        state.pages = state.pages.filter((p) => p.id !== '201')
        return json(200, { copy_id: 'c2', anonymous_id: 'ABCD-002', page_count: 4 })
      },
    })
    return { ...mock, state }
  }

  async function openCoded(): Promise<Mounted> {
    view = await mountAt('/admin/exams/ex1/uploads', 'fr')
    await vi.waitFor(() => expect(allByTestId(view!.root, 'loose-page')).toHaveLength(4))
    return view
  }

  it('says why each page is there and where it probably belongs, naming the copy by its anonymous id', async () => {
    codedApi()
    const v = await openCoded()
    const [unreadable, duplicate, already, unknown] = allByTestId(v.root, 'loose-page')

    expect(byTestId(unreadable!, 'loose-reason').textContent!.trim()).toBe('Code illisible')
    expect(byTestId(duplicate!, 'loose-reason').textContent!.trim()).toBe('En double : cette page est déjà dans sa copie')
    expect(byTestId(already!, 'loose-reason').textContent!.trim()).toBe(
      'Déjà scannée : son livret est arrivé avec un scan précédent',
    )
    expect(byTestId(unknown!, 'loose-reason').textContent!.trim()).toBe('Code d’un autre examen ou d’un livret inconnu')

    await vi.waitFor(() => expect(allByTestId(v.root, 'loose-guess')).toHaveLength(3))
    expect(byTestId(unreadable!, 'loose-guess').textContent).toBe('Probablement la page 2 de la copie ABCD-002')
    expect(byTestId(duplicate!, 'loose-guess').textContent).toBe('Probablement la page 1 de la copie ABCD-001')
    // even a dispatched copy is named (it takes no page, but the admin knows where the page belongs)
    expect(byTestId(already!, 'loose-guess').textContent).toBe('Probablement la page 2 de la copie ABCD-003')
    expect(allByTestId(unknown!, 'loose-guess')).toHaveLength(0)
  })

  it('pre-fills the attach form with the guessed copy and position, and adds the page there', async () => {
    const mock = codedApi()
    const v = await openCoded()
    const unreadable = allByTestId(v.root, 'loose-page')[0]!

    byTestId<HTMLButtonElement>(unreadable, 'loose-attach-open').click()
    await vi.waitFor(() => expect(byTestId<HTMLSelectElement>(unreadable, 'loose-attach-copy').value).toBe('c2'))
    await flush()
    // booklet page 2 of a copy holding pages 1, 3 and 4: its 2nd position
    expect(byTestId<HTMLInputElement>(unreadable, 'loose-attach-position').value).toBe('2')
    byTestId<HTMLButtonElement>(unreadable, 'loose-attach-submit').click()

    await vi.waitFor(() => expect(allByTestId(v.root, 'loose-page')).toHaveLength(3))
    expect(mock.calls.find((c) => c.method === 'POST')!.body).toEqual({ copy_id: 'c2', position: 2 })
    expect(byTestId(v.root, 'loose-notice').textContent).toBe('Page ajoutée à la copie ABCD-002 en position 2.')
  })

  it('leaves the form empty when the guessed copy can take no page (dispatched)', async () => {
    codedApi()
    const v = await openCoded()
    const already = allByTestId(v.root, 'loose-page')[2]!

    byTestId<HTMLButtonElement>(already, 'loose-attach-open').click()
    await vi.waitFor(() => expect(byTestId(already, 'loose-attach-copy').querySelectorAll('option')).toHaveLength(3))
    expect(byTestId<HTMLSelectElement>(already, 'loose-attach-copy').value).toBe('')
    expect(byTestId<HTMLInputElement>(already, 'loose-attach-position').value).toBe('1')
  })

  it('words the reasons and the guess in English too', async () => {
    codedApi()
    view = await mountAt('/admin/exams/ex1/uploads', 'en')
    await vi.waitFor(() => expect(allByTestId(view!.root, 'loose-guess')).toHaveLength(3))
    const first = allByTestId(view.root, 'loose-page')[0]!
    expect(byTestId(first, 'loose-reason').textContent!.trim()).toBe('Unreadable code')
    expect(byTestId(first, 'loose-guess').textContent).toBe('Probably page 2 of copy ABCD-002')
  })
})

describe('the position of a guessed page', () => {
  it('counts the copy’s pages before it: its page number less the missing pages before it', () => {
    expect(guessedPosition({ copy_id: 'c', page: 2 }, { page_count: 1, missing_pages: [2] })).toBe(2)
    expect(guessedPosition({ copy_id: 'c', page: 1 }, { page_count: 1, missing_pages: [1] })).toBe(1)
    expect(guessedPosition({ copy_id: 'c', page: 3 }, { page_count: 2, missing_pages: [2, 3] })).toBe(2)
    expect(guessedPosition({ copy_id: 'c', page: 4 }, { page_count: 2 })).toBe(3) // never past the end
  })
})
