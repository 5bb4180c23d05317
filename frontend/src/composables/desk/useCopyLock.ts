/**
 * The grading session of one copy: its lock (taken on opening, heartbeat,
 * released when leaving), the autosave of the score draft that writes under
 * that lock, and the admin's explicit "grade this copy" / "break the lock".
 *
 * Leaving (route change, unmount, sign-out) flushes the pending draft, then
 * releases the lock; when the page is going away (`pagehide`) the draft goes
 * out with `keepalive` and the lock expires by itself.
 */
import { computed, ref, shallowRef } from 'vue'
import { errorMessage } from '../../api/client'
import { gradingApi, isLockLost, type Draft } from '../../api/grading'
import { t } from '../../i18n'
import { tabClientId } from '../../lib/clientId'
import { CopyLock, type LockState } from '../../lib/copyLock'
import { DraftAutosave, type AutosaveState } from '../../lib/draftAutosave'
import type { DraftPayload } from '../../lib/scoring'
import type { DeskContext } from './context'

export interface CopyLockHooks {
  /** The saved draft, read once the lock is ours (the score sheet decides whether to restore it). */
  onDraft: (draft: Draft<unknown>) => void
  onDraftError: (err: unknown) => void
  /** The lock was lost (heartbeat or a write refused). */
  onLost: (reason: string) => void
}

export function useCopyLock(ctx: DeskContext, hooks: CopyLockHooks) {
  const clientId = tabClientId()
  const lock = shallowRef<CopyLock | null>(null)
  const lockState = ref<LockState | null>(null)
  const autosave = shallowRef<DraftAutosave<DraftPayload> | null>(null)
  const autosaveState = ref<AutosaveState | null>(null)
  /** Set when another window wrote the draft: nothing more is saved here. */
  const conflict = ref('')
  /** Admins open a copy read-only; they take the lock explicitly ("Grade this copy"). */
  const adminView = ref(false)
  const lockActionError = ref('')

  const holdsLock = computed(() => lockState.value?.phase === 'mine')

  function markLost(reason: string): void {
    lock.value?.markLost(reason)
  }

  async function takeLock(gen = ctx.generation.current): Promise<void> {
    const c = ctx.copy.value
    if (!c) return
    lock.value?.dispose()
    adminView.value = false
    lockActionError.value = ''
    const l = new CopyLock(c.id, { onLost: (reason) => hooks.onLost(reason) })
    lock.value = l
    lockState.value = l.state
    const phase = await l.acquire()
    if (gen !== ctx.generation.current) {
      if (phase === 'mine') void l.release()
      return
    }
    if (phase === 'mine') {
      if (c.status === 'READY') c.status = 'LOCKED'
      await startAutosave(gen)
    } else if (phase === 'taken') {
      ctx.announce(t('desk.lock.readOnlyTaken', { holder: l.state.holder ?? t('desk.lock.someoneElse') }))
    }
  }

  /** Reads the saved draft, then starts the autosave at its version. */
  async function startAutosave(gen: number): Promise<void> {
    const c = ctx.copy.value
    if (!c) return
    let version = 0
    try {
      const draft = await gradingApi.getDraft<unknown>(c.id)
      if (gen !== ctx.generation.current) return
      version = draft.version ?? 0
      hooks.onDraft(draft)
    } catch (err) {
      if (gen !== ctx.generation.current) return
      hooks.onDraftError(err)
    }
    // The lock this autosave writes under (still known while the desk is torn down and flushes).
    const owner = lock.value
    const saver = new DraftAutosave<DraftPayload>(
      {
        copyId: c.id,
        write: (v, payload) => gradingApi.putDraft(c.id, owner?.token ?? null, { version: v, client_id: clientId, payload }),
        onConflict: () => {
          conflict.value = t('desk.conflict.title')
          ctx.announce(conflict.value)
        },
        onError: (err) => {
          if (isLockLost(err)) {
            owner?.markLost(t('desk.lock.expired'))
            return true
          }
          return false
        },
      },
      version,
    )
    autosave.value = saver
    autosaveState.value = saver.state
  }

  /** Stops the autosave, keeping the lock (reloading the copy we hold after a conflict). */
  function dropAutosave(): void {
    autosave.value?.stop()
    autosave.value = null
  }

  /** Forgets everything about the previous copy's session. */
  function reset(): void {
    lockState.value = null
    autosaveState.value = null
    conflict.value = ''
    adminView.value = false
  }

  /** Flushes the draft and releases the lock (in this order), unless the page is going away. */
  async function teardown(keepalive: boolean): Promise<void> {
    const saver = autosave.value
    const l = lock.value
    autosave.value = null
    lock.value = null
    l?.dispose()
    if (saver) {
      if (keepalive) {
        const payload = saver.pendingPayload()
        const writing = saver.hasUnsavedChanges
        saver.stop()
        const c = ctx.copy.value
        if (payload && l?.token && c) {
          // The page is going away: one last write; the lock expires by itself.
          void gradingApi
            .putDraft(c.id, l.token, { version: saver.state.version, client_id: clientId, payload }, true)
            .catch(() => undefined)
          return
        }
        // A write still on its way must not race the release: let the lock expire instead.
        if (writing) return
      } else {
        try {
          await saver.flush()
        } catch {
          // Reported by the indicator.
        }
        saver.stop()
      }
    }
    if (l) await l.release(keepalive)
  }

  /** Admin: breaks someone else's lock, then takes it. */
  async function breakLock(): Promise<void> {
    const c = ctx.copy.value
    if (!c) return
    lockActionError.value = ''
    try {
      await gradingApi.unlock(c.id, null)
    } catch (err) {
      lockActionError.value = errorMessage(err, t('desk.lock.breakFailed'))
      return
    }
    await takeLock()
  }

  return {
    lock,
    lockState,
    autosave,
    autosaveState,
    conflict,
    adminView,
    lockActionError,
    holdsLock,
    markLost,
    takeLock,
    startAutosave,
    dropAutosave,
    reset,
    teardown,
    breakLock,
  }
}

export type CopyLockSession = ReturnType<typeof useCopyLock>
