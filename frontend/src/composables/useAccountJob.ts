/**
 * Follows an account job (roster import, bulk password reset) until it ends:
 * polls its progress, exposes processed/total, and remembers whether its
 * one-time credentials link was used.
 */
import { computed, onBeforeUnmount, ref, type Ref } from 'vue'
import { errorMessage, type Id } from '../api/client'
import { FINISHED_STATUSES, rosterApi, type AccountJob } from '../api/roster'
import { t } from '../i18n'

export interface AccountJobOptions {
  /** Milliseconds between two progress reads (the first one comes sooner). */
  intervalMs?: number
  /** Called once when the job is DONE or FAILED. */
  onFinished?: (job: AccountJob) => void
}

export interface AccountJobState {
  job: Ref<AccountJob | null>
  pollError: Ref<string>
  credentialsUsed: Ref<boolean>
  running: Ref<boolean>
  /** 0..100 */
  percent: Ref<number>
  follow: (job: AccountJob) => void
  clear: () => void
}

/** Small jobs are often done at once: the first read comes quickly. */
const FIRST_POLL_MS = 250

export function useAccountJob(examId: () => Id, options: AccountJobOptions = {}): AccountJobState {
  const intervalMs = options.intervalMs ?? 1000
  const job = ref<AccountJob | null>(null)
  const pollError = ref('')
  const credentialsUsed = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null
  let generation = 0

  const running = computed(() => job.value !== null && !FINISHED_STATUSES.includes(job.value.status))
  const percent = computed(() => {
    const j = job.value
    if (!j || j.total === 0) return j && !running.value ? 100 : 0
    return Math.min(100, Math.round((j.processed / j.total) * 100))
  })

  function stop(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }

  function settle(current: number, delayMs = intervalMs): void {
    if (current !== generation || !job.value) return
    if (running.value) {
      timer = setTimeout(() => void tick(current), delayMs)
    } else {
      options.onFinished?.(job.value)
    }
  }

  async function tick(current: number): Promise<void> {
    const followed = job.value
    if (!followed) return
    try {
      const fresh = await rosterApi.getJob(examId(), followed.job_id)
      if (current !== generation) return
      job.value = fresh
      pollError.value = ''
    } catch (err) {
      if (current !== generation) return
      pollError.value = errorMessage(err, t('roster.job.pollFailed'))
    }
    settle(current)
  }

  function follow(started: AccountJob): void {
    stop()
    generation += 1
    job.value = started
    credentialsUsed.value = false
    pollError.value = ''
    settle(generation, Math.min(intervalMs, FIRST_POLL_MS))
  }

  function clear(): void {
    stop()
    generation += 1
    job.value = null
    pollError.value = ''
  }

  onBeforeUnmount(stop)
  return { job, pollError, credentialsUsed, running, percent, follow, clear }
}
