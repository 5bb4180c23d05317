/**
 * Drafts kept in the browser while they cannot reach the server: a save refused because the
 * session ended (401), or a tab closed with unsaved changes. Kept in localStorage per account and
 * copy (`korrigo:kept-draft:<account>:<copy>`) with the draft version they were typed on.
 *
 * After the same account signs back in (`replayKeptDrafts`, awaited by the sign-in before it goes
 * back to the page it left), each kept draft is written again under the copy's lock, on top of its
 * version: the desk then opens the copy and restores that draft as it restores any newer autosave.
 * When the server's draft moved on meanwhile (another window, the copy was finalised or reopened),
 * the kept draft is NOT applied: it stays, marked, and the interface says so until it is discarded.
 *
 * The lock: a session that ends does not release it; it expires 10 minutes after its last heartbeat,
 * and the same teacher gets it back with its token when signing in again before that (afterwards the
 * copy is free again for them, unless someone else took it: then the draft is kept and reported).
 */
import { reactive } from 'vue'
import { ApiError, type Id } from '../api/client'
import { isLockRefusal, lockCopy, readDraft, releaseCopy, writeDraft } from '../api/session'
import { tabClientId } from './clientId'

const PREFIX = 'korrigo:kept-draft:'

export interface KeptDraft {
  account: string
  copyId: string
  /** The server draft version the changes were typed on. */
  version: number
  payload: unknown
  keptAt: number
  /** True once a replay found the copy moved on: kept, shown, never applied silently. */
  stale?: boolean
}

/** The account's kept drafts that could not be replayed (for the notice). */
export const staleDrafts = reactive<{ list: KeptDraft[] }>({ list: [] })

function keyOf(account: Id, copyId: Id): string {
  return `${PREFIX}${String(account)}:${String(copyId)}`
}

/** Keeps unsaved changes of `copyId` typed by `account` on top of draft `version`. */
export function keepDraft(account: Id, copyId: Id, version: number, payload: unknown): void {
  const draft: KeptDraft = { account: String(account), copyId: String(copyId), version, payload, keptAt: Date.now() }
  try {
    window.localStorage.setItem(keyOf(account, copyId), JSON.stringify(draft))
  } catch {
    // Storage full or unavailable: nothing more can be done in the browser.
  }
}

/** The kept draft of one copy, if any. */
export function keptDraft(account: Id, copyId: Id): KeptDraft | null {
  try {
    const raw = window.localStorage.getItem(keyOf(account, copyId))
    return raw ? (JSON.parse(raw) as KeptDraft) : null
  } catch {
    return null
  }
}

/** Every kept draft of an account. */
export function keptDrafts(account: Id): KeptDraft[] {
  const found: KeptDraft[] = []
  try {
    const prefix = `${PREFIX}${String(account)}:`
    for (let i = 0; i < window.localStorage.length; i++) {
      const key = window.localStorage.key(i)
      if (!key?.startsWith(prefix)) continue
      const draft = keptDraft(account, key.slice(prefix.length))
      if (draft) found.push(draft)
    }
  } catch {
    // Storage unavailable: nothing kept.
  }
  return found
}

/** Forgets a kept draft (replayed, or discarded by the user). */
export function discardDraft(account: Id, copyId: Id): void {
  try {
    window.localStorage.removeItem(keyOf(account, copyId))
  } catch {
    // Nothing to forget.
  }
  staleDrafts.list = staleDrafts.list.filter((d) => !(d.account === String(account) && d.copyId === String(copyId)))
}

export type ReplayOutcome = 'replayed' | 'stale' | 'later'

/**
 * Writes one kept draft back (see the module comment): 'replayed' (forgotten), 'stale' (the copy
 * moved on: kept and reported) or 'later' (the server could not be reached: kept, tried next time).
 */
export async function replayDraft(draft: KeptDraft): Promise<ReplayOutcome> {
  let grant: { token: string } | null = null
  try {
    try {
      grant = await lockCopy(draft.copyId)
    } catch (err) {
      if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500) return 'later'
      return markStale(draft) // held by someone else, finalised, no longer assigned…
    }
    try {
      await writeDraft(draft.copyId, grant.token, draft.version, tabClientId(), draft.payload)
    } catch (err) {
      if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500) return 'later'
      if (err.status === 409 && !isLockRefusal(err) && (await alreadySaved(draft))) {
        discardDraft(draft.account, draft.copyId)
        return 'replayed'
      }
      return markStale(draft)
    }
    discardDraft(draft.account, draft.copyId)
    return 'replayed'
  } finally {
    // Let go: the desk takes the lock again when it opens the copy (the draft stays on the server).
    if (grant) await releaseCopy(draft.copyId, grant.token).catch(() => undefined)
  }
}

/** True when the server's draft already holds exactly these changes (e.g. a last write did land). */
async function alreadySaved(draft: KeptDraft): Promise<boolean> {
  try {
    const server = await readDraft(draft.copyId)
    return JSON.stringify(server.payload) === JSON.stringify(draft.payload)
  } catch {
    return false
  }
}

function markStale(draft: KeptDraft): ReplayOutcome {
  const marked = { ...draft, stale: true }
  try {
    window.localStorage.setItem(keyOf(draft.account, draft.copyId), JSON.stringify(marked))
  } catch {
    // Kept in memory for the notice at least.
  }
  staleDrafts.list = [...staleDrafts.list.filter((d) => d.copyId !== draft.copyId), marked]
  return 'stale'
}

/** Replays every kept draft of `account` (after signing in); resolves once all were tried. */
export async function replayKeptDrafts(account: Id): Promise<ReplayOutcome[]> {
  const drafts = keptDrafts(account)
  staleDrafts.list = drafts.filter((d) => d.stale)
  const outcomes: ReplayOutcome[] = []
  for (const draft of drafts) {
    outcomes.push(draft.stale ? 'stale' : await replayDraft(draft))
  }
  return outcomes
}
