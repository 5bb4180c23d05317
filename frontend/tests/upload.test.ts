import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, resetClientState, setCsrfToken } from '../src/api/client'
import { buildPresignedForm, uploadToPresignedPost, type UploadProgress } from '../src/api/presignedUpload'
import { json, mockFetch, type Call } from './helpers'
import { allByTestId, byTestId, chooseFiles, examFixture, flush, mountAt, type Mounted } from './mount'
// Loaded up front so that the lazy routes resolve at once (fake timers below).
import '../src/views/ExamDetailView.vue'
import '../src/views/exam/ExamUploads.vue'
import '../src/layouts/AppLayout.vue'

/** A stand-in for XMLHttpRequest that records what the code does with it. */
class FakeXHR {
  static instances: FakeXHR[] = []
  method = ''
  url = ''
  withCredentials: boolean | undefined = undefined
  headers: Record<string, string> = {}
  body: unknown = undefined
  status = 0
  responseText = ''
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  ontimeout: (() => void) | null = null

  open(method: string, url: string): void {
    this.method = method
    this.url = url
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value
  }
  send(body: unknown): void {
    this.body = body
    FakeXHR.instances.push(this)
  }
  abort(): void {
    this.onabort?.()
  }
  // --- test controls
  progress(loaded: number, total: number, computable = true): void {
    this.upload.onprogress?.({ lengthComputable: computable, loaded, total } as ProgressEvent)
  }
  respond(status: number, text = ''): void {
    this.status = status
    this.responseText = text
    this.onload?.()
  }
}

const FIELDS = {
  key: 'scans/ex1/u1.pdf',
  'Content-Type': 'application/pdf',
  policy: 'eyJleHBpcmF0aW9uIjoi',
  'x-amz-algorithm': 'AWS4-HMAC-SHA256',
  'x-amz-signature': 'abc123',
}

function pdf(name = 'scan.pdf', size = 1000): File {
  return new File([new Uint8Array(size).fill(0x25)], name, { type: 'application/pdf' })
}

beforeEach(() => {
  FakeXHR.instances = []
  vi.stubGlobal('XMLHttpRequest', FakeXHR)
  vi.stubGlobal('scrollTo', vi.fn())
  resetClientState()
  setCsrfToken('tok-csrf')
})

afterEach(() => {
  vi.useRealTimers()
  resetClientState()
})

describe('pre-signed POST upload', () => {
  it('appends every policy field first and the file last, under "file"', () => {
    const file = pdf()
    const form = buildPresignedForm(FIELDS, file)
    const keys = Array.from(form.keys())
    expect(keys).toEqual([...Object.keys(FIELDS), 'file'])
    expect(form.get('key')).toBe('scans/ex1/u1.pdf')
    const sent = form.get('file') as File
    expect(sent).toBeInstanceOf(File)
    expect(sent.name).toBe('scan.pdf')
    expect(sent.size).toBe(file.size)
  })

  it('POSTs the form straight to the storage, without cookies or CSRF, and reports progress', async () => {
    const progress: UploadProgress[] = []
    const file = pdf('copies.pdf', 2000)
    const done = uploadToPresignedPost('https://bucket.s3.test/', FIELDS, file, { onProgress: (p) => progress.push(p) })

    expect(FakeXHR.instances).toHaveLength(1)
    const xhr = FakeXHR.instances[0]!
    expect(xhr.method).toBe('POST')
    expect(xhr.url).toBe('https://bucket.s3.test/')
    expect(xhr.withCredentials).toBe(false)
    expect(xhr.headers).toEqual({}) // no X-CSRF-Token, no Content-Type (the browser sets the boundary)
    expect(xhr.body).toBeInstanceOf(FormData)
    expect(Array.from((xhr.body as FormData).keys()).at(-1)).toBe('file')
    expect(Array.from((xhr.body as FormData).keys()).slice(0, -1)).toEqual(Object.keys(FIELDS))

    xhr.progress(500, 2000)
    xhr.progress(1999, 2000)
    xhr.progress(10, 0, false)
    expect(progress.map((p) => p.percent)).toEqual([25, 99, null])

    xhr.respond(204) // what S3 answers
    await expect(done).resolves.toBeUndefined()
    expect(progress.at(-1)).toEqual({ loaded: 2000, total: 2000, percent: 100 })
  })

  it('rejects with the storage message on a non-2xx answer', async () => {
    const done = uploadToPresignedPost('https://bucket.s3.test/', FIELDS, pdf())
    FakeXHR.instances[0]!.respond(
      400,
      '<?xml version="1.0"?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>',
    )
    const err = (await done.catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.message).toBe('The file is larger than the storage accepts.')
  })

  it("shows the local gateway's JSON refusal, and its expiry as the expired-link advice", async () => {
    const refused = uploadToPresignedPost('/storage/bucket', FIELDS, pdf())
    FakeXHR.instances[0]!.respond(403, '{"error":{"code":"forbidden","message":"The file is larger than the policy allows."}}')
    await expect(refused).rejects.toMatchObject({
      status: 403,
      message: 'The storage refused the file (HTTP 403): The file is larger than the policy allows.',
    })

    const expired = uploadToPresignedPost('/storage/bucket', FIELDS, pdf())
    FakeXHR.instances[1]!.respond(403, '{"error":{"code":"forbidden","message":"The upload policy has expired."}}')
    await expect(expired).rejects.toMatchObject({
      message: 'The upload link expired before the file was sent. Please try again.',
    })
  })

  it('rejects with a network error, and with AbortError when cancelled', async () => {
    const failing = uploadToPresignedPost('https://bucket.s3.test/', FIELDS, pdf())
    FakeXHR.instances[0]!.onerror?.()
    await expect(failing).rejects.toMatchObject({ status: 0, code: 'network_error' })

    const controller = new AbortController()
    const cancelled = uploadToPresignedPost('https://bucket.s3.test/', FIELDS, pdf(), { signal: controller.signal })
    controller.abort()
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' })
  })
})

describe('uploads tab', () => {
  let view: Mounted | null = null

  afterEach(() => {
    view?.unmount()
    view = null
  })

  function upload(id: string, status: string, extra: Record<string, unknown> = {}) {
    return {
      id,
      filename: `${id}.pdf`,
      size: 1000,
      status,
      error: null,
      copies: null,
      pages: null,
      created_at: '2025-06-12T10:00:00Z',
      ...extra,
    }
  }

  it('creates the upload, sends the file with a progress bar, then lists it', async () => {
    let uploads: unknown[] = []
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': () => json(200, { uploads }),
      'POST /api/exams/ex1/uploads': () => {
        uploads = [upload('u1', 'DONE', { filename: 'scan.pdf', copies: 30, pages: 120 })]
        return json(201, { upload_id: 'u1', url: 'https://bucket.s3.test/', fields: FIELDS, expires_in: 900 })
      },
    })
    view = await mountAt('/admin/exams/ex1/uploads')
    await vi.waitFor(() => byTestId(view!.root, 'upload-submit'))

    const file = pdf('scan.pdf', 3 * 1024 * 1024)
    chooseFiles(byTestId<HTMLInputElement>(view.root, 'upload-file'), [file])
    await flush()
    expect(byTestId(view.root, 'upload-size').textContent).toBe('3 MB')

    byTestId<HTMLButtonElement>(view.root, 'upload-submit').click()
    await vi.waitFor(() => expect(FakeXHR.instances).toHaveLength(1))

    const create = calls.find((c: Call) => c.method === 'POST')!
    expect(create.url).toBe('/api/exams/ex1/uploads')
    expect(create.body).toEqual({ filename: 'scan.pdf', size: file.size })
    expect(create.headers.get('X-CSRF-Token')).toBe('tok-csrf')

    const xhr = FakeXHR.instances[0]!
    expect(xhr.url).toBe('https://bucket.s3.test/')
    expect(xhr.withCredentials).toBe(false)
    expect(xhr.headers).toEqual({})

    xhr.progress(file.size / 2, file.size)
    await flush()
    const bar = byTestId(view.root, 'upload-progress')
    expect(bar.getAttribute('role')).toBe('progressbar')
    expect(bar.getAttribute('aria-valuenow')).toBe('50')

    xhr.respond(204)
    await vi.waitFor(() => expect(allByTestId(view!.root, 'upload-row')).toHaveLength(1))
    expect(allByTestId(view.root, 'upload-progress')).toHaveLength(0)
    const row = byTestId(view.root, 'upload-row')
    expect(row.dataset.status).toBe('DONE')
    expect(byTestId(row, 'upload-copies').textContent).toBe('30')
    expect(byTestId(view.root, 'upload-result').textContent).toContain('scan.pdf')
  })

  it('deletes a processed scan with its copies after a second, confirming click', async () => {
    let uploads: unknown[] = [upload('u1', 'DONE', { copies: 2, pages: 8 }), upload('u2', 'PROCESSING')]
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': () => json(200, { uploads }),
      'DELETE /api/exams/ex1/uploads/u1': () => {
        uploads = [upload('u1', 'DELETED', { copies: 2, pages: 8 })]
        return json(200, { upload_id: 'u1', status: 'DELETED', copies_deleted: 2 })
      },
    })
    view = await mountAt('/admin/exams/ex1/uploads')
    await vi.waitFor(() => expect(allByTestId(view!.root, 'upload-row')).toHaveLength(2))
    expect(allByTestId(view.root, 'upload-delete')).toHaveLength(1) // not while processing

    const button = byTestId<HTMLButtonElement>(view.root, 'upload-delete')
    button.click()
    await flush()
    expect(button.textContent).toContain('Delete 2 copies?')
    expect(calls.filter((c: Call) => c.method === 'DELETE')).toHaveLength(0)

    button.click()
    await vi.waitFor(() => expect(calls.filter((c: Call) => c.method === 'DELETE')).toHaveLength(1))
    await vi.waitFor(() => expect(byTestId(view!.root, 'upload-row').dataset.status).toBe('DELETED'))
    expect(allByTestId(view.root, 'upload-delete')).toHaveLength(0)
  })

  it('shows why a scan cannot be deleted', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': json(200, { uploads: [upload('u1', 'DONE', { copies: 2 })] }),
      'DELETE /api/exams/ex1/uploads/u1': json(409, {
        error: { code: 'conflict', message: 'Copies of this scan are dispatched or being graded: ABCD-002.' },
      }),
    })
    view = await mountAt('/admin/exams/ex1/uploads')
    await vi.waitFor(() => byTestId(view!.root, 'upload-delete'))
    byTestId<HTMLButtonElement>(view.root, 'upload-delete').click()
    await flush()
    byTestId<HTMLButtonElement>(view.root, 'upload-delete').click()
    await vi.waitFor(() => expect(byTestId(view!.root, 'upload-delete-error').textContent).toContain('ABCD-002'))
    expect(byTestId(view.root, 'upload-row').dataset.status).toBe('DONE')
  })

  it('shows the 413 message of the create call and sends nothing', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': json(200, { uploads: [] }),
      'POST /api/exams/ex1/uploads': json(413, { error: { code: 'too_large', message: 'The file is over 500 MB.' } }),
    })
    view = await mountAt('/admin/exams/ex1/uploads')
    await vi.waitFor(() => byTestId(view!.root, 'upload-submit'))
    chooseFiles(byTestId<HTMLInputElement>(view.root, 'upload-file'), [pdf()])
    await flush()
    byTestId<HTMLButtonElement>(view.root, 'upload-submit').click()
    await vi.waitFor(() => expect(byTestId(view!.root, 'upload-result').textContent).toContain('over 500 MB'))
    expect(FakeXHR.instances).toHaveLength(0)
  })

  it('polls every 2 s while an upload is processing, shows the reason of a failure, and stops', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const answers = [
      [upload('u1', 'PROCESSING')],
      [upload('u1', 'PROCESSING')],
      [upload('u1', 'FAILED', { error: 'The PDF is encrypted.' })],
    ]
    let n = 0
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': () => json(200, { uploads: answers[Math.min(n++, answers.length - 1)] }),
    })
    const listCalls = () => calls.filter((c) => c.url === '/api/exams/ex1/uploads').length

    view = await mountAt('/admin/exams/ex1/uploads')
    await flush(30)
    expect(listCalls()).toBe(1)
    expect(byTestId(view.root, 'upload-row').dataset.status).toBe('PROCESSING')

    await vi.advanceTimersByTimeAsync(1900)
    expect(listCalls()).toBe(1)
    await vi.advanceTimersByTimeAsync(200)
    await flush(30)
    expect(listCalls()).toBe(2)

    await vi.advanceTimersByTimeAsync(2000)
    await flush(30)
    expect(listCalls()).toBe(3)
    const row = byTestId(view.root, 'upload-row')
    expect(row.dataset.status).toBe('FAILED')
    expect(byTestId(row, 'upload-error').textContent).toContain('The PDF is encrypted.')

    await vi.advanceTimersByTimeAsync(20000)
    await flush(30)
    expect(listCalls()).toBe(3) // nothing left to watch
  })

  it('stops polling when the view unmounts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': json(200, { uploads: [upload('u1', 'UPLOADED')] }),
    })
    view = await mountAt('/admin/exams/ex1/uploads')
    await flush(30)
    await vi.advanceTimersByTimeAsync(2000)
    await flush(30)
    const before = calls.filter((c) => c.url === '/api/exams/ex1/uploads').length
    expect(before).toBe(2)

    view.unmount()
    view = null
    await vi.advanceTimersByTimeAsync(20000)
    expect(calls.filter((c) => c.url === '/api/exams/ex1/uploads').length).toBe(before)
  })
})
