/**
 * What every part of the grading desk shares: the copy on the desk, whether it
 * can be edited now, the lock token grading writes carry, and the polite
 * announcement for screen readers. The view builds it once and hands it to
 * each composable (`useCopyLock`, `useScoreSheet`, `useAnnotations`…).
 */
import type { ComputedRef, Ref } from 'vue'
import type { CopyDetail } from '../../api/grading'

export interface DeskContext {
  copy: Ref<CopyDetail | null>
  /** True while this tab holds the lock of a gradable copy and nothing blocks writes. */
  editable: ComputedRef<boolean>
  /** The lock token (`X-Lock-Token`) or null. */
  token: () => string | null
  /** A write was refused because the lock is gone: the desk turns read-only. */
  markLost: (reason: string) => void
  /** Says something to screen-reader users (aria-live). */
  announce: (text: string) => void
  /** Bumped each time the desk opens a copy or leaves: late answers of an older generation are dropped. */
  generation: { current: number }
}
