/**
 * An exam's personalised answer sheets: loads their status, asks for a new
 * generation and polls while it runs (a stale signed link is refreshed by the
 * next read).
 */
import { computed, onBeforeUnmount, ref, type Ref } from 'vue'
import { errorMessage, type Id } from '../api/client'
import { sheetsApi, type AnswerSheets } from '../api/sheets'
import { t } from '../i18n'

export interface AnswerSheetsState {
  sheets: Ref<AnswerSheets | null>
  loadError: Ref<string>
  error: Ref<string>
  busy: Ref<boolean>
  running: Ref<boolean>
  load: () => Promise<void>
  generate: (extraBlankBooklets: number) => Promise<void>
}

export function useAnswerSheets(examId: () => Id, intervalMs = 2000): AnswerSheetsState {
  const sheets = ref<AnswerSheets | null>(null)
  const loadError = ref('')
  const error = ref('')
  const busy = ref(false)
  const running = computed(() => sheets.value?.status === 'PENDING')
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false
  let generation = 0 // bumped by generate(): a read begun before it must not overwrite its PENDING

  function schedule(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
    if (running.value && !stopped) timer = setTimeout(() => void load(), intervalMs)
  }

  async function load(): Promise<void> {
    const mine = generation
    try {
      const answer = await sheetsApi.get(examId())
      if (mine !== generation) return // a generation started meanwhile: its answer and polling win
      sheets.value = answer
      loadError.value = ''
    } catch (err) {
      loadError.value = errorMessage(err, t('sheets.loadFailed'))
    }
    schedule()
  }

  async function generate(extraBlankBooklets: number): Promise<void> {
    generation += 1
    busy.value = true
    error.value = ''
    try {
      sheets.value = await sheetsApi.generate(examId(), extraBlankBooklets)
    } catch (err) {
      error.value = errorMessage(err, t('sheets.failed'))
    } finally {
      busy.value = false
    }
    schedule()
  }

  onBeforeUnmount(() => {
    stopped = true
    if (timer !== null) clearTimeout(timer)
  })

  return { sheets, loadError, error, busy, running, load, generate }
}
