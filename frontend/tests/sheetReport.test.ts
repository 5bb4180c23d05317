import { afterEach, describe, expect, it } from 'vitest'
import { createApp, h, nextTick, type App } from 'vue'
import SheetReport, { type SheetReportFields } from '../src/components/exam/SheetReport.vue'
import { i18n, setLocale, type Locale } from '../src/i18n'

let app: App | null = null

async function render(copy: SheetReportFields, locale: Locale): Promise<HTMLElement> {
  setLocale(locale)
  const root = document.createElement('div')
  app = createApp({ render: () => h(SheetReport, { copy: { anonymous_id: 'A-001', ...copy } }) })
  app.use(i18n).mount(root)
  await nextTick()
  return root
}

afterEach(() => {
  app?.unmount()
  app = null
})

describe('the sheet report of a copy', () => {
  it('shows a copy identified by its code, and the pages missing or scanned twice, in French', async () => {
    const root = await render({ identified_by: 'code', missing_pages: [2], duplicate_pages: [1, 3] }, 'fr')
    expect(root.querySelector('[data-testid="copy-by-code"]')?.textContent).toBe('Identifiée par code')
    expect(root.querySelector('[data-testid="copy-missing-pages"]')?.textContent).toBe('Page manquante : 2')
    expect(root.querySelector('[data-testid="copy-duplicate-pages"]')?.textContent).toBe('Pages scannées deux fois : 1, 3')
  })

  it('speaks English when asked', async () => {
    const root = await render({ identified_by: 'code', missing_pages: [2, 4] }, 'en')
    expect(root.textContent).toContain('Identified by code')
    expect(root.textContent).toContain('Missing pages: 2, 4')
  })

  it('says nothing of a copy of a plain scan', async () => {
    const root = await render({ identified_by: null, missing_pages: [], duplicate_pages: [] }, 'fr')
    expect(root.textContent?.trim()).toBe('')
    expect((await render({}, 'fr')).textContent?.trim()).toBe('')
  })
})
