/**
 * The grading lock of one copy, seen from the desk.
 *
 * acquire(): POST /lock → 'mine' (token kept in memory, heartbeat every 30 s)
 * or 'taken' (409: someone else, with the holder and the expiry). A heartbeat
 * answered 409 / 403 means the lock is lost: the heartbeat stops and
 * `onLost` runs (the desk turns read-only). release() stops the heartbeat and
 * deletes the lock (fetch keepalive when the page is going away).
 */
import { reactive } from 'vue'
import { ApiError, errorMessage, type Id } from '../api/client'
import { gradingApi, lockHolder } from '../api/grading'
import { t } from '../i18n'

export const HEARTBEAT_MS = 30_000

export type LockPhase = 'none' | 'acquiring' | 'mine' | 'taken' | 'lost' | 'released' | 'error'

export interface LockState {
  phase: LockPhase
  token: string | null
  expiresAt: string | null
  /** Who holds it when `taken`. */
  holder: string | null
  error: string
}

export interface CopyLockOptions {
  onLost?: (reason: string) => void
  heartbeatMs?: number
}

export class CopyLock {
  readonly state: LockState
  private timer: ReturnType<typeof setInterval> | null = null
  private readonly heartbeatMs: number
  private beating = false

  constructor(
    readonly copyId: Id,
    private readonly options: CopyLockOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS
    this.state = reactive<LockState>({ phase: 'none', token: null, expiresAt: null, holder: null, error: '' })
  }

  get token(): string | null {
    return this.state.phase === 'mine' ? this.state.token : null
  }

  async acquire(): Promise<LockPhase> {
    this.state.phase = 'acquiring'
    this.state.error = ''
    try {
      const grant = await gradingApi.lock(this.copyId)
      this.state.token = grant.token
      this.state.expiresAt = grant.expires_at
      this.state.holder = null
      this.state.phase = 'mine'
      this.startHeartbeat()
    } catch (err) {
      const held = lockHolder(err)
      this.state.token = null
      if (held) {
        this.state.phase = 'taken'
        this.state.holder = held.holder
        this.state.expiresAt = held.expiresAt
      } else {
        this.state.phase = 'error'
        this.state.error = errorMessage(err, t('desk.lock.failed'))
      }
    }
    return this.state.phase
  }

  /** One heartbeat now (the timer calls it every 30 s). */
  async beat(): Promise<void> {
    const token = this.token
    if (!token || this.beating) return
    this.beating = true
    try {
      const res = await gradingApi.heartbeat(this.copyId, token)
      if (this.state.phase === 'mine') this.state.expiresAt = res.expires_at
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.status === 403 || err.status === 404)) {
        this.markLost(err.message || t('desk.lock.expired'))
      }
      // Network or server trouble: keep the lock and try again at the next beat.
    } finally {
      this.beating = false
    }
  }

  /** The lock is gone (heartbeat refused, or a write said so). */
  markLost(reason = t('desk.lock.expired')): void {
    if (this.state.phase !== 'mine') return
    this.stopHeartbeat()
    this.state.phase = 'lost'
    this.state.token = null
    this.state.error = reason
    this.options.onLost?.(reason)
  }

  /** Forgets the lock without calling the server (finalising consumed it). */
  forget(): void {
    this.stopHeartbeat()
    this.state.token = null
    this.state.phase = 'released'
  }

  /** Releases the lock (best effort). */
  async release(keepalive = false): Promise<void> {
    const token = this.token
    this.stopHeartbeat()
    if (!token) return
    this.state.phase = 'released'
    this.state.token = null
    try {
      await gradingApi.unlock(this.copyId, token, keepalive)
    } catch {
      // Best effort: the lock expires by itself after 10 minutes.
    }
  }

  /** Stops the timer (on unmount). */
  dispose(): void {
    this.stopHeartbeat()
  }

  private startHeartbeat(): void {
    this.stopHeartbeat()
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs)
  }

  private stopHeartbeat(): void {
    if (this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }
}
