/**
 * The pages to place of an exam (batch pages left over after a scan's last full
 * copy): the list, how many per upload, and a reload that keeps one request at
 * a time. Shared by the uploads tab (counts per scan) and PagesToPlace.
 */
import { computed, ref, type Ref } from 'vue'
import { errorMessage, type Id } from '../api/client'
import { pagesApi, type LoosePage, type LoosePageGuess } from '../api/pages'
import { t } from '../i18n'

export interface LoosePagesState {
  pages: Ref<LoosePage[]>
  loading: Ref<boolean>
  error: Ref<string>
  /** Pages still to place, per upload id. */
  countByUpload: Ref<Map<string, number>>
  reload: () => Promise<void>
}

export function useLoosePages(examId: () => Id): LoosePagesState {
  const pages = ref<LoosePage[]>([])
  const loading = ref(true)
  const error = ref('')
  let latest = 0

  const countByUpload = computed(() => {
    const counts = new Map<string, number>()
    for (const page of pages.value) {
      const key = String(page.upload_id)
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    return counts
  })

  /** Loads the list; of overlapping loads, the last one asked for wins. */
  async function reload(): Promise<void> {
    const mine = ++latest
    try {
      const list = await pagesApi.list(examId())
      if (mine !== latest) return
      pages.value = list
      error.value = ''
    } catch (err) {
      if (mine !== latest) return
      error.value = errorMessage(err, t('uploads.loose.loadFailed'))
    } finally {
      if (mine === latest) loading.value = false
    }
  }

  return { pages, loading, error, countByUpload, reload }
}

/**
 * The position (1-based, in the copy as it is) at which a guessed booklet page
 * goes: after the copy's pages of lower booklet page numbers, i.e. the page
 * number less the copy's missing pages before it, kept within 1..page_count+1.
 */
export function guessedPosition(
  guess: LoosePageGuess,
  copy: { page_count: number; missing_pages?: number[] },
): number {
  const missingBefore = (copy.missing_pages ?? []).filter((n) => n < guess.page).length
  return Math.min(Math.max(1, guess.page - missingBefore), copy.page_count + 1)
}
