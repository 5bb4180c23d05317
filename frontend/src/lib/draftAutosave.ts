/**
 * Debounced autosave of a versioned draft.
 *
 * `schedule(payload)` remembers the latest state and (re)starts the debounce
 * timer; when it fires, ONE write goes out with the last state and the last
 * version known. The server answers the new version. A write that is refused
 * with 409 (stale version, another window) stops the autosave for good:
 * nothing is overwritten, the desk offers a reload. Other failures are
 * retried after a pause. Only one write is in flight at a time.
 */
import { reactive } from 'vue'
import { ApiError } from '../api/client'

export type AutosavePhase =
  /** Nothing to save yet. */
  | 'idle'
  /** Changes wait for the debounce. */
  | 'pending'
  | 'saving'
  | 'saved'
  /** The last write failed (network, server): retried soon. */
  | 'error'
  /** 409: another window or session changed the draft. Stopped. */
  | 'conflict'
  /** Stopped (lock lost, copy finalised, page left). */
  | 'stopped'

export interface AutosaveState {
  phase: AutosavePhase
  /** Date.now() of the last successful write. */
  lastSavedAt: number | null
  /** Message of the last failure. */
  error: string
  version: number
}

export interface DraftAutosaveOptions<P> {
  /** Writes the draft; resolves to the new version. */
  write: (version: number, payload: P) => Promise<{ version: number }>
  delayMs?: number
  retryMs?: number
  /** Called when a write fails with 409 (after the autosave stopped). */
  onConflict?: (err: ApiError) => void
  /** Called for other failures; return true to stop instead of retrying (e.g. lock lost). */
  onError?: (err: unknown) => boolean | void
  now?: () => number
}

export const AUTOSAVE_DELAY_MS = 1500
export const AUTOSAVE_RETRY_MS = 5000

export class DraftAutosave<P> {
  readonly state: AutosaveState
  private payload: P | null = null
  private dirty = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private inFlight: Promise<void> | null = null
  private readonly opts: Required<Pick<DraftAutosaveOptions<P>, 'delayMs' | 'retryMs' | 'now'>> & DraftAutosaveOptions<P>

  constructor(options: DraftAutosaveOptions<P>, initialVersion = 0) {
    this.opts = { delayMs: AUTOSAVE_DELAY_MS, retryMs: AUTOSAVE_RETRY_MS, now: () => Date.now(), ...options }
    this.state = reactive<AutosaveState>({ phase: 'idle', lastSavedAt: null, error: '', version: initialVersion })
  }

  get active(): boolean {
    return this.state.phase !== 'conflict' && this.state.phase !== 'stopped'
  }

  /** True while changes are not written yet (pending, saving or failed). */
  get hasUnsavedChanges(): boolean {
    return this.dirty || this.inFlight !== null
  }

  /** The latest state to save (debounced). Ignored once stopped. */
  schedule(payload: P): void {
    if (!this.active) return
    this.payload = payload
    this.dirty = true
    if (this.inFlight === null) this.state.phase = 'pending'
    this.startTimer(this.opts.delayMs)
  }

  /** Writes now when something is waiting; resolves once written (or failed). */
  async flush(): Promise<void> {
    this.clearTimer()
    if (this.inFlight) await this.inFlight
    if (this.dirty && this.active) await this.run()
  }

  /** Stops for good (pending changes are dropped). */
  stop(phase: 'stopped' | 'conflict' = 'stopped'): void {
    this.clearTimer()
    this.dirty = false
    this.state.phase = phase
  }

  /** The payload that would be written next, if any (for a last keepalive write). */
  pendingPayload(): P | null {
    return this.dirty ? this.payload : null
  }

  private startTimer(ms: number): void {
    this.clearTimer()
    this.timer = setTimeout(() => {
      this.timer = null
      void this.run()
    }, ms)
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
  }

  private run(): Promise<void> {
    if (this.inFlight) {
      // A write is going: the timer restarts once it is done (see below).
      return this.inFlight
    }
    if (!this.dirty || !this.active || this.payload === null) return Promise.resolve()
    const payload = this.payload
    this.dirty = false
    this.state.phase = 'saving'
    const done = (async () => {
      try {
        const res = await this.opts.write(this.state.version, payload)
        if (!this.active) return
        this.state.version = res.version
        this.state.lastSavedAt = this.opts.now()
        this.state.error = ''
        this.state.phase = this.dirty ? 'pending' : 'saved'
      } catch (err) {
        if (!this.active) return
        if (err instanceof ApiError && err.status === 409 && !isLockError(err)) {
          this.stop('conflict')
          this.state.error = err.message
          this.opts.onConflict?.(err)
          return
        }
        if (this.opts.onError?.(err) === true) {
          this.stop('stopped')
          return
        }
        // Keep the newest state and try again later.
        if (!this.dirty) {
          this.dirty = true
        }
        this.state.phase = 'error'
        this.state.error = err instanceof ApiError ? err.message : 'The draft could not be saved.'
        this.startTimer(this.opts.retryMs)
      } finally {
        this.inFlight = null
      }
      if (this.dirty && this.active && this.timer === null) this.startTimer(this.opts.delayMs)
    })()
    this.inFlight = done
    return done
  }
}

function isLockError(err: ApiError): boolean {
  return err.details !== null && err.details.lock_required === true
}

/** "Saving…", "Saved just now", "Saved 12 s ago"… for the indicator (updated every second). */
export function autosaveLabel(state: Pick<AutosaveState, 'phase' | 'lastSavedAt'>, now: number): string {
  switch (state.phase) {
    case 'pending':
    case 'saving':
      return 'Saving…'
    case 'error':
      return 'Not saved — retrying…'
    case 'conflict':
      return 'Not saved: changed in another window'
    case 'stopped':
      return state.lastSavedAt === null ? 'Autosave off' : `Autosave off · ${savedAgo(state.lastSavedAt, now)}`
    case 'saved':
      return state.lastSavedAt === null ? 'Saved' : savedAgo(state.lastSavedAt, now)
    case 'idle':
      return 'No changes yet'
  }
}

export function savedAgo(savedAt: number, now: number): string {
  const s = Math.max(0, Math.floor((now - savedAt) / 1000))
  if (s < 2) return 'Saved just now'
  if (s < 60) return `Saved ${s} s ago`
  return `Saved ${Math.floor(s / 60)} min ago`
}
