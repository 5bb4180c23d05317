import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import { gradingApi } from '../src/api/grading'
import { autosaveLabel, DraftAutosave, savedAgo } from '../src/lib/draftAutosave'
import { apiError, json, mockFetch } from './helpers'

interface P {
  scores: Record<string, number>
}

beforeEach(() => {
  resetClientState()
  setCsrfToken('csrf')
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
})

afterEach(() => {
  vi.useRealTimers()
  resetClientState()
})

function saverFor(version: number, onConflict = vi.fn()) {
  return new DraftAutosave<P>(
    {
      write: (v, payload) => gradingApi.putDraft('c1', 'lock-tok', { version: v, client_id: 'tab-1', payload }),
      onConflict,
    },
    version,
  )
}

describe('draft autosave', () => {
  it('debounces: one PUT with the last state, the known version and the client id', async () => {
    let serverVersion = 7
    const { calls } = mockFetch({
      'PUT /api/copies/c1/draft': () => json(200, { version: ++serverVersion, updated_at: '2025-06-12T10:00:00Z' }),
    })
    const saver = saverFor(7)
    saver.schedule({ scores: { q1: 1 } })
    await vi.advanceTimersByTimeAsync(1000)
    saver.schedule({ scores: { q1: 2 } })
    await vi.advanceTimersByTimeAsync(1000)
    saver.schedule({ scores: { q1: 2.5 } })
    expect(saver.state.phase).toBe('pending')
    expect(autosaveLabel(saver.state, Date.now())).toBe('Saving…')
    await vi.advanceTimersByTimeAsync(1499)
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await vi.waitFor(() => expect(saver.state.phase).toBe('saved'))

    expect(calls).toHaveLength(1)
    const call = calls[0]!
    expect(call.method).toBe('PUT')
    expect(call.body).toEqual({ version: 7, client_id: 'tab-1', payload: { scores: { q1: 2.5 } } })
    expect(call.headers.get('X-Lock-Token')).toBe('lock-tok')
    expect(call.headers.get('X-CSRF-Token')).toBe('csrf')
    expect(saver.state.version).toBe(8)
    expect(autosaveLabel(saver.state, Date.now())).toBe('Saved just now')
    await vi.advanceTimersByTimeAsync(5000)
    expect(autosaveLabel(saver.state, Date.now())).toBe('Saved 5 s ago')

    // The next write goes on top of the version the server returned.
    saver.schedule({ scores: { q1: 3 } })
    await vi.advanceTimersByTimeAsync(1500)
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect((calls[1]!.body as { version: number }).version).toBe(8)
  })

  it('stops on 409 (another window) and never overwrites', async () => {
    const { calls } = mockFetch({
      'PUT /api/copies/c1/draft': apiError(409, 'conflict', 'This draft was saved by another window or session meanwhile; reload to continue.'),
    })
    const onConflict = vi.fn()
    const saver = saverFor(2, onConflict)
    saver.schedule({ scores: { q1: 1 } })
    await vi.advanceTimersByTimeAsync(1500)
    await vi.waitFor(() => expect(saver.state.phase).toBe('conflict'))
    expect(onConflict).toHaveBeenCalledTimes(1)
    expect(autosaveLabel(saver.state, Date.now())).toBe('Not saved: changed in another window')
    saver.schedule({ scores: { q1: 2 } })
    await vi.advanceTimersByTimeAsync(10_000)
    await saver.flush()
    expect(calls).toHaveLength(1)
  })

  it('retries after a network failure with the newest state', async () => {
    let fail = true
    const { calls } = mockFetch({
      'PUT /api/copies/c1/draft': () => (fail ? apiError(503, 'unavailable', 'Down') : json(200, { version: 1, updated_at: 'x' })),
    })
    const saver = saverFor(0)
    saver.schedule({ scores: { q1: 1 } })
    await vi.advanceTimersByTimeAsync(1500)
    await vi.waitFor(() => expect(saver.state.phase).toBe('error'))
    expect(autosaveLabel(saver.state, Date.now())).toBe('Not saved — retrying…')
    fail = false
    saver.schedule({ scores: { q1: 2 } })
    await vi.advanceTimersByTimeAsync(1500)
    await vi.waitFor(() => expect(saver.state.phase).toBe('saved'))
    expect(calls).toHaveLength(2)
    expect(calls[1]!.body).toMatchObject({ version: 0, payload: { scores: { q1: 2 } } })
  })

  it('flush() writes at once; a change during a write is saved after it', async () => {
    let release: (() => void) | null = null
    let version = 0
    const { calls } = mockFetch({
      'PUT /api/copies/c1/draft': () =>
        new Promise<Response>((resolve) => {
          release = () => resolve(json(200, { version: ++version, updated_at: 'x' }))
        }),
    })
    const saver = saverFor(0)
    saver.schedule({ scores: { q1: 1 } })
    const flushed = saver.flush()
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    saver.schedule({ scores: { q1: 2 } })
    expect(saver.state.phase).toBe('saving')
    release!()
    await flushed
    await vi.advanceTimersByTimeAsync(1500)
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(calls[1]!.body).toMatchObject({ version: 1, payload: { scores: { q1: 2 } } })
    release!()
    await vi.waitFor(() => expect(saver.state.phase).toBe('saved'))
  })

  it('words the indicator', () => {
    expect(savedAgo(0, 500)).toBe('Saved just now')
    expect(savedAgo(0, 2000)).toBe('Saved 2 s ago')
    expect(savedAgo(0, 59_999)).toBe('Saved 59 s ago')
    expect(savedAgo(0, 125_000)).toBe('Saved 2 min ago')
    expect(autosaveLabel({ phase: 'idle', lastSavedAt: null }, 0)).toBe('No changes yet')
  })
})
