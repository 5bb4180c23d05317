/**
 * The lock of one copy on one question, seen from the question desk (same life as `lib/copyLock.ts`):
 * acquire() → 'mine' (token in memory, heartbeat every 30 s) or 'taken' (409: another teacher holds
 * the question, or a copy-mode lock is live: `holder` and `error` say so); a heartbeat refused means
 * the lock is lost; release() deletes it (keepalive when the page is going away).
 */
import { reactive } from 'vue'
import { ApiError, errorMessage, type Id } from '../../api/client'
import { questionLockHolder, questionsApi } from '../../api/questions'
import { t } from '../../i18n'
import { HEARTBEAT_MS, type LockPhase } from '../../lib/copyLock'

export interface QuestionLockState {
  phase: LockPhase
  token: string | null
  expiresAt: string | null
  /** Who holds it when `taken` by another teacher (null for a copy-mode lock or a refusal). */
  holder: string | null
  /** Why it is not ours (`taken`, `error`, `lost`), in the interface's language. */
  error: string
}

export class QuestionLock {
  readonly state: QuestionLockState
  private timer: ReturnType<typeof setInterval> | null = null
  private beating = false

  constructor(
    readonly copyId: Id,
    readonly questionId: string,
    private readonly onLost: (reason: string) => void = () => undefined,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {
    this.state = reactive<QuestionLockState>({ phase: 'none', token: null, expiresAt: null, holder: null, error: '' })
  }

  get token(): string | null {
    return this.state.phase === 'mine' ? this.state.token : null
  }

  async acquire(): Promise<LockPhase> {
    this.state.phase = 'acquiring'
    this.state.error = ''
    try {
      const grant = await questionsApi.lock(this.copyId, this.questionId)
      Object.assign(this.state, { token: grant.token, expiresAt: grant.expires_at, holder: null, phase: 'mine' })
      this.timer = setInterval(() => void this.beat(), this.heartbeatMs)
    } catch (err) {
      this.state.token = null
      this.state.holder = questionLockHolder(err)
      this.state.phase = err instanceof ApiError && err.status === 409 ? 'taken' : 'error'
      this.state.error = errorMessage(err, t('questions.lock.failed'))
    }
    return this.state.phase
  }

  /** One heartbeat now (the timer calls it every 30 s). */
  async beat(): Promise<void> {
    const token = this.token
    if (!token || this.beating) return
    this.beating = true
    try {
      const res = await questionsApi.heartbeat(this.copyId, this.questionId, token)
      if (this.state.phase === 'mine') this.state.expiresAt = res.expires_at
    } catch (err) {
      if (err instanceof ApiError && [403, 404, 409].includes(err.status)) this.markLost(errorMessage(err, t('questions.lock.lost')))
      // Network trouble: keep the lock, try again at the next beat.
    } finally {
      this.beating = false
    }
  }

  /** The lock is gone (heartbeat refused, or a save said so). */
  markLost(reason = t('questions.lock.lost')): void {
    if (this.state.phase !== 'mine') return
    this.stop()
    Object.assign(this.state, { phase: 'lost', token: null, error: reason })
    this.onLost(reason)
  }

  /** Releases the lock (best effort: it expires by itself anyway). */
  async release(keepalive = false): Promise<void> {
    const token = this.token
    this.stop()
    if (!token) return
    Object.assign(this.state, { phase: 'released', token: null })
    try {
      await questionsApi.unlock(this.copyId, this.questionId, token, keepalive)
    } catch {
      // The lock expires by itself.
    }
  }

  /** Stops the heartbeat (unmount). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}
