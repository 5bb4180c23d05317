import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, h } from 'vue'
import type { CopyDetail } from '../src/api/grading'
import DeskBanner from '../src/components/grading/DeskBanner.vue'
import { i18n, setLocale } from '../src/i18n'
import { copyFixture } from './gradingFixtures'
import catalogue from '../src/i18n/messages/failures'
import { failureText } from '../src/lib/failures'
import { json, mockFetch } from './helpers'
import { byTestId, examFixture, mountAt, type Mounted } from './mount'
import '../src/views/exam/ExamUploads.vue'

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort()

describe('stored failure reasons', () => {
  it('words each reason in both languages with the same values', () => {
    const fr: Record<string, string> = catalogue.fr
    const en: Record<string, string> = catalogue.en
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort())
    for (const reason of Object.keys(fr)) {
      expect(placeholders(fr[reason]!), reason).toEqual(placeholders(en[reason]!))
      expect(fr[reason], reason).not.toMatch(/'/) // the French apostrophe is ’
    }
  })

  it('gives the French sentence of a known reason, with its values formatted', () => {
    setLocale('fr')
    expect(failureText('pdf_encrypted', {}, 'The PDF is encrypted.')).toBe(
      'Le PDF est chiffré (protégé par mot de passe) : exportez ou scannez-le à nouveau sans mot de passe.',
    )
    expect(failureText('pdf_too_many_pages', { count: 1200, limit: 1000 }, 'x')).toContain('1\u202f200 pages')
    expect(failureText('not_a_pdf', { kind: 'JPEG' }, 'x')).toBe(
      'Le fichier n’est pas un PDF (il ressemble à du JPEG) : déposez le scan au format PDF.',
    )
    expect(failureText('not_a_pdf', {}, 'x')).toBe('Le fichier n’est pas un PDF : déposez le scan au format PDF.')
  })

  it('keeps the stored sentence of an older record or an unknown reason', () => {
    setLocale('fr')
    expect(failureText(null, null, 'Old English sentence.')).toBe('Old English sentence.')
    expect(failureText('some_future_reason', {}, 'Newer sentence.')).toBe('Newer sentence.')
  })
})

describe('uploads tab in French', () => {
  let view: Mounted | null = null

  afterEach(() => {
    view?.unmount()
    view = null
  })

  it('shows a FAILED upload’s reason as a French sentence', async () => {
    const failed = {
      id: 'u1',
      filename: 'scan.pdf',
      size: 1000,
      status: 'FAILED',
      error: 'The PDF is encrypted (password-protected): export or scan it again without a password.',
      error_reason: 'pdf_encrypted',
      error_params: {},
      copies: 0,
      pages: 0,
      created_at: '2025-06-12T10:00:00Z',
    }
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture()),
      'GET /api/exams/ex1/uploads': () => json(200, { uploads: [failed] }),
    })
    view = await mountAt('/admin/exams/ex1/uploads', 'fr')
    await vi.waitFor(() => byTestId(view!.root, 'upload-error'))

    const text = byTestId(view.root, 'upload-error').textContent ?? ''
    expect(text).toContain('Le PDF est chiffré (protégé par mot de passe)')
    expect(text).not.toContain('encrypted')
  })
})

describe('desk banner in French', () => {
  it('words a render failure by its reason', async () => {
    setLocale('fr')
    const copy = copyFixture({
      status: 'GRADING_FAILED',
      grading_error: 'The render did not finish in time; retry it.',
      grading_error_reason: 'render_too_late',
      grading_error_params: {},
    }) as unknown as CopyDetail
    const root = document.createElement('div')
    const app = createApp({
      render: () =>
        h(DeskBanner, {
          kind: 'failed', text: 'Échec', copy, isAdmin: false, holder: '', holderUntil: '', lockActionError: '',
          retrying: false, retryError: '', finalPdf: null, finalPdfError: '',
        }),
    })
    app.use(i18n).mount(root)
    try {
      expect(byTestId(root, 'grading-error').textContent).toContain(
        'La génération de la copie corrigée ne s’est pas terminée à temps ; relancez-la.',
      )
    } finally {
      app.unmount()
    }
  })
})
