/**
 * The interface's languages: French first, English second (a switch, remembered in
 * the browser). Messages live in `messages/<area>.ts`, one file per area of the app,
 * each `export default { fr: {...}, en: {...} }`; a key is `<area>.<path>`
 * (`t('desk.finalise')` comes from `messages/desk.ts`). Numbers and dates are
 * formatted by the current locale (`lib/format.ts`).
 */
import { createI18n } from 'vue-i18n'

export const LOCALES = ['fr', 'en'] as const
export type Locale = (typeof LOCALES)[number]
export const DEFAULT_LOCALE: Locale = 'fr'
const STORAGE_KEY = 'korrigo.locale'

type Tree = { [key: string]: string | Tree }
type AreaModule = { default: Record<Locale, Tree> }

/** Every `messages/<area>.ts`, assembled into one tree per language. */
function assemble(): Record<Locale, Tree> {
  const modules = import.meta.glob<AreaModule>('./messages/*.ts', { eager: true })
  const out: Record<Locale, Tree> = { fr: {}, en: {} }
  for (const [path, module] of Object.entries(modules)) {
    const area = path.replace(/^.*\/([^/]+)\.ts$/, '$1')
    for (const locale of LOCALES) out[locale][area] = module.default[locale] ?? {}
  }
  return out
}

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

/** The remembered choice, else French. */
export function initialLocale(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY)
    if (isLocale(saved)) return saved
  } catch {
    /* storage disabled: French */
  }
  return DEFAULT_LOCALE
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'fr',
  messages: assemble(),
  missingWarn: false,
  fallbackWarn: false,
  // French: 0 and 1 are singular ("0 copie", "1 copie", "2 copies").
  pluralRules: {
    fr: (choice: number, choicesLength: number) => {
      const n = Math.abs(choice)
      if (choicesLength === 3) return n === 0 ? 0 : n < 2 ? 1 : 2
      return n < 2 ? 0 : 1
    },
  },
})
if (typeof document !== 'undefined') document.documentElement.lang = i18n.global.locale.value

/** The current language. */
export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}

/** Switches the language, remembers it and tells the page (`<html lang>`). */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale)
  } catch {
    /* storage disabled: the choice lasts for this page */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}

/** Translation outside components (stores, libs): same catalogue as `useI18n().t`. */
export function t(key: string, params?: Record<string, unknown>): string {
  if (!params) return i18n.global.t(key)
  // A numeric `n` picks the plural form ("{n} copie | {n} copies").
  return typeof params.n === 'number' ? i18n.global.t(key, params, params.n) : i18n.global.t(key, params)
}

/** Whether a key exists in the current language (or French). */
export const has = (key: string): boolean => i18n.global.te(key) || i18n.global.te(key, 'fr')
