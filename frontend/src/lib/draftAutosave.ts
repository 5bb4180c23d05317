/**
 * Debounced autosave of a versioned draft.
 *
 * `schedule(payload)` remembers the latest state and (re)starts the debounce
 * timer; when it fires, ONE write goes out with the last state and the last
 * version known. The server answers the new version. A write that is refused
 * with 409 (stale version, another window) stops the autosave for good:
 * nothing is overwritten, the desk offers a reload. Other failures are
 * retried after a pause. Only one write is in flight at a time.
 *
 * Nothing is lost when the session ends: the unsaved draft is kept in the browser
 * (`lib/pendingDrafts.ts`, per account and copy, with the version it was typed on) when a write is
 * refused with 401 (the autosave then stops), when a write fails otherwise (retried, and forgotten
 * once written) and when the tab closes with unsaved changes. Signing back in writes it back, and
 * the desk restores it as any newer autosave. The copy is `options.copyId`, else the one in the
 * desk's address (`/teacher/copies/<id>`).
 */
import { reactive } from 'vue'
import { ApiError, type Id } from '../api/client'
import { t } from '../i18n'
import { session } from '../stores/session'
import { discardDraft, keepDraft } from './pendingDrafts'

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
  /** The copy the draft belongs to, for keeping it in the browser when the session ends. */
  copyId?: Id
}

/** The copy of the grading desk's address, if the page is one. */
export function copyIdFromLocation(path: string = globalThis.location?.pathname ?? ''): string | null {
  const match = /^\/teacher\/copies\/([^/]+)/.exec(path)
  return match ? decodeURIComponent(match[1] as string) : null
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
  /** Who types and on which copy: where unsaved changes are kept when they cannot be written. */
  private readonly keeper: { account: Id; copyId: Id } | null
  /** This autosave kept changes in the browser that a later write has not saved yet. */
  private keptHere = false
  private readonly onUnload = (): void => {
    this.keepUnsaved()
  }

  constructor(options: DraftAutosaveOptions<P>, initialVersion = 0) {
    this.opts = { delayMs: AUTOSAVE_DELAY_MS, retryMs: AUTOSAVE_RETRY_MS, now: () => Date.now(), ...options }
    this.state = reactive<AutosaveState>({ phase: 'idle', lastSavedAt: null, error: '', version: initialVersion })
    const account = session.user?.id
    const copyId = options.copyId ?? copyIdFromLocation()
    this.keeper = account !== undefined && copyId ? { account, copyId } : null
    if (this.keeper) globalThis.addEventListener?.('beforeunload', this.onUnload)
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
    globalThis.removeEventListener?.('beforeunload', this.onUnload)
  }

  /**
   * Keeps the unsaved changes in the browser (see the module comment); true when there were some.
   * Called on a 401 and when the tab closes; the desk may call it too.
   */
  keepUnsaved(): boolean {
    if (!this.keeper || !this.hasUnsavedChanges || this.payload === null) return false
    keepDraft(this.keeper.account, this.keeper.copyId, this.state.version, this.payload)
    this.keptHere = true
    return true
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
        if (this.keptHere && !this.dirty && this.keeper) {
          // Written after all: the copy kept in the browser is no longer needed.
          discardDraft(this.keeper.account, this.keeper.copyId)
          this.keptHere = false
        }
        this.state.lastSavedAt = this.opts.now()
        this.state.error = ''
        this.state.phase = this.dirty ? 'pending' : 'saved'
      } catch (err) {
        if (!this.active) return
        if (err instanceof ApiError && err.status === 401) {
          // The session ended: keep the changes for after signing back in; no retry without it.
          this.dirty = true
          const kept = this.keepUnsaved()
          this.stop('stopped')
          this.state.error = kept ? t('session.autosave.keptSignedOut') : err.message
          return
        }
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
        // Keep the newest state (in the browser too, should the page go) and try again later.
        if (!this.dirty) {
          this.dirty = true
        }
        this.keepUnsaved()
        this.state.phase = 'error'
        this.state.error = err instanceof ApiError ? err.message : t('session.autosave.notSaved')
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
      return t('session.autosave.saving')
    case 'error':
      return t('session.autosave.retrying')
    case 'conflict':
      return t('session.autosave.conflict')
    case 'stopped':
      return state.lastSavedAt === null
        ? t('session.autosave.off')
        : t('session.autosave.offSince', { ago: savedAgo(state.lastSavedAt, now) })
    case 'saved':
      return state.lastSavedAt === null ? t('session.autosave.saved') : savedAgo(state.lastSavedAt, now)
    case 'idle':
      return t('session.autosave.idle')
  }
}

export function savedAgo(savedAt: number, now: number): string {
  const s = Math.max(0, Math.floor((now - savedAt) / 1000))
  if (s < 2) return t('session.autosave.justNow')
  if (s < 60) return t('session.autosave.secondsAgo', { n: s })
  return t('session.autosave.minutesAgo', { n: Math.floor(s / 60) })
}
