import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ApiError,
  filenameFromDisposition,
  requestBlob,
  resetClientState,
  setCsrfToken,
  setUnauthorizedHandler,
} from '../src/api/client'
import { resultsApi } from '../src/api/results'
import { saveBlob } from '../src/lib/download'
import { bucketLabel, histogramLayout } from '../src/lib/histogram'
import { isoToLocalInput, localInputToIsoUtc } from '../src/lib/localTime'
import { apiError, json, mockFetch } from './helpers'

beforeEach(() => {
  resetClientState()
  setCsrfToken('tok')
})

afterEach(() => {
  resetClientState()
})

describe('filenameFromDisposition', () => {
  it('reads the quoted, bare and RFC 5987 forms', () => {
    expect(filenameFromDisposition('attachment; filename="results-Maths.csv"')).toBe('results-Maths.csv')
    expect(filenameFromDisposition('attachment; filename=pronote.csv')).toBe('pronote.csv')
    expect(filenameFromDisposition(`attachment; filename="x.csv"; filename*=UTF-8''r%C3%A9sultats%20juin.csv`)).toBe(
      'résultats juin.csv',
    )
    expect(filenameFromDisposition('attachment; filename="a \\"b\\".csv"')).toBe('a "b".csv')
  })

  it('drops paths and refuses empty names', () => {
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd')
    expect(filenameFromDisposition('attachment; filename="C:\\\\temp\\\\x.csv"')).toBe('x.csv')
    expect(filenameFromDisposition('attachment')).toBeNull()
    expect(filenameFromDisposition('attachment; filename=""')).toBeNull()
    expect(filenameFromDisposition(null)).toBeNull()
  })
})

describe('requestBlob', () => {
  it('returns the body as a Blob with its file name', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1/export.csv': new Response('a;b\r\n1;2\r\n', {
        status: 200,
        headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="r.csv"' },
      }),
    })
    const file = await resultsApi.exportCsv('ex1')
    expect(file.filename).toBe('r.csv')
    expect(file.contentType).toBe('text/csv; charset=utf-8')
    expect(await file.blob.text()).toBe('a;b\r\n1;2\r\n')
    expect(calls[0]!.credentials).toBe('same-origin')
    expect(calls[0]!.headers.get('X-CSRF-Token')).toBeNull() // a GET
  })

  it('throws the API error of a JSON answer (409)', async () => {
    mockFetch({ 'GET /api/exams/ex1/pronote.csv': apiError(409, 'conflict', 'No copy of this exam is graded yet.') })
    const err = await resultsApi.exportPronote('ex1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(409)
    expect((err as ApiError).message).toBe('No copy of this exam is graded yet.')
  })

  it('runs the 401 handler like every other call', async () => {
    mockFetch({ 'GET /api/exams/ex1/export.csv': apiError(401, 'unauthorized', 'Sign in.') })
    const handler = vi.fn()
    setUnauthorizedHandler(handler)
    await expect(requestBlob('/api/exams/ex1/export.csv')).rejects.toMatchObject({ status: 401 })
    expect(handler).toHaveBeenCalledWith(expect.objectContaining({ method: 'GET', path: '/api/exams/ex1/export.csv' }))
  })

  it('reports an unreachable server', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    await expect(requestBlob('/api/exams/ex1/export.csv')).rejects.toMatchObject({ status: 0, code: 'network_error' })
  })
})

describe('results API', () => {
  it('sends the release with the CSRF token, the unrelease as DELETE', async () => {
    const { calls } = mockFetch({
      'POST /api/exams/e%2F1/release': json(200, { released_at: '2025-06-20T08:00:00+00:00' }),
      'DELETE /api/exams/e%2F1/release': new Response(null, { status: 204 }),
    })
    expect(await resultsApi.release('e/1')).toEqual({ released_at: '2025-06-20T08:00:00+00:00' })
    await resultsApi.unrelease('e/1')
    expect(calls.map((c) => `${c.method} ${c.url} ${c.headers.get('X-CSRF-Token')}`)).toEqual([
      'POST /api/exams/e%2F1/release tok',
      'DELETE /api/exams/e%2F1/release tok',
    ])
  })
})

describe('saveBlob', () => {
  it('clicks a temporary download link on an object URL, revoked later', () => {
    vi.useFakeTimers()
    const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL }
    try {
      const create = vi.fn(() => 'blob:korrigo/1')
      const revoke = vi.fn()
      URL.createObjectURL = create
      URL.revokeObjectURL = revoke
      let clicked: HTMLAnchorElement | null = null
      const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
        clicked = this
      })
      const blob = new Blob(['x'], { type: 'text/csv' })
      saveBlob(blob, 'pronote.csv')
      expect(create).toHaveBeenCalledWith(blob)
      expect(click).toHaveBeenCalledTimes(1)
      expect(clicked!.download).toBe('pronote.csv')
      expect(clicked!.href).toBe('blob:korrigo/1')
      expect(clicked!.isConnected).toBe(false)
      expect(revoke).not.toHaveBeenCalled()
      vi.runAllTimers()
      expect(revoke).toHaveBeenCalledWith('blob:korrigo/1')
    } finally {
      URL.createObjectURL = original.create
      URL.revokeObjectURL = original.revoke
      vi.useRealTimers()
    }
  })
})

describe('histogram layout', () => {
  it('labels the buckets "from–to: count"', () => {
    expect(bucketLabel({ from: 0, to: 2.5, count: 3 })).toBe('0–2.5: 3')
  })

  it('scales the bars to the largest bucket, on one baseline', () => {
    const layout = histogramLayout([
      { from: 0, to: 10, count: 2 },
      { from: 10, to: 20, count: 8 },
    ])
    const [a, b] = layout.bars
    expect(b!.height).toBeCloseTo(layout.plot.height * (8 / Number(layout.yTicks.at(-1)!.text)))
    expect(a!.height).toBeCloseTo(b!.height / 4)
    expect(a!.y + a!.height).toBeCloseTo(layout.plot.y + layout.plot.height)
    expect(b!.x).toBeGreaterThan(a!.x + a!.width)
    expect(b!.x + b!.width).toBeLessThanOrEqual(layout.plot.x + layout.plot.width)
    expect(layout.xTicks.map((t) => t.text)).toEqual(['0', '10', '20'])
    expect(layout.yTicks[0]!.text).toBe('0')
    expect(Number(layout.yTicks.at(-1)!.text)).toBeGreaterThanOrEqual(8)
  })

  it('copes with no bucket, empty buckets and many buckets', () => {
    expect(histogramLayout([]).bars).toEqual([])
    const zero = histogramLayout([{ from: 0, to: 20, count: 0 }])
    expect(zero.bars[0]!.height).toBe(0)
    expect(Number.isFinite(zero.bars[0]!.y)).toBe(true)
    const many = histogramLayout(Array.from({ length: 40 }, (_, i) => ({ from: i * 0.5, to: (i + 1) * 0.5, count: i % 3 })))
    expect(many.bars).toHaveLength(40)
    expect(many.xTicks.length).toBeLessThanOrEqual(12)
    expect(many.xTicks.at(-1)!.text).toBe('20')
  })
})

describe('datetime-local ↔ ISO', () => {
  it('rejects invalid input and round-trips valid input', () => {
    expect(localInputToIsoUtc('')).toBeNull()
    expect(localInputToIsoUtc('12/06/2025 08:30')).toBeNull()
    const iso = localInputToIsoUtc('2025-06-12T08:30')!
    expect(iso).toMatch(/^2025-06-1[12]T\d{2}:30:00Z$/)
    expect(isoToLocalInput(iso)).toBe('2025-06-12T08:30')
    expect(isoToLocalInput('nonsense')).toBe('')
  })
})
