import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { json, mockFetch, type Call } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, press, type Mounted } from './mount'
import '../src/views/ExamDetailView.vue'
import '../src/views/exam/ExamUploads.vue'
import '../src/layouts/AppLayout.vue'

function loosePage(id: string, sourcePage: number) {
  return {
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
