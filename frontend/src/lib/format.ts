/** Display helpers shared by every screen: numbers, dates and labels in the current language. */
import type { UploadMode } from '../api/exams'
import { currentLocale, has, t } from '../i18n'

/** The BCP 47 tag of the interface's language, for `Intl`. */
export function localeTag(): string {
  return currentLocale() === 'fr' ? 'fr-FR' : 'en-GB'
}

/** 1536 → "1.5 KB" (binary multiples, the way file managers show sizes). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  const fr = currentLocale() === 'fr'
  if (bytes < 1024) return `${bytes} ${fr ? 'o' : 'B'}`
  const units = fr ? ['Ko', 'Mo', 'Go', 'To'] : ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  const shown = value >= 100 ? Math.round(value) : Math.round(value * 10) / 10
  return `${formatNumber(shown)} ${units[unit]}`
}

/** A number in the interface's language: 1234.5 → "1 234,5" in French. */
export function formatNumber(value: number, maximumFractionDigits = 2): string {
  if (!Number.isFinite(value)) return '—'
  return new Intl.NumberFormat(localeTag(), { maximumFractionDigits }).format(value)
}

/** Rounds away binary noise (0.1 + 0.2) and drops useless decimals: 2.50 → "2,5" (French), "2.5" (English). */
export function formatPoints(points: number): string {
  if (!Number.isFinite(points)) return '—'
  return formatNumber(Math.round(points * 100) / 100)
}

/** "12,5 / 20" in French, "12.5 / 20" in English. */
export function formatOutOf(points: number, max: number): string {
  return `${formatPoints(points)} / ${formatPoints(max)}`
}

/**
 * Reads a number typed the French way or the English way: "12,5" and "12.5" → 12.5;
 * blank or not a number → null.
 */
export function parseDecimal(text: string): number | null {
  const cleaned = text.trim().replace(/[\s\u00a0\u202f]/g, '').replace(',', '.')
  if (cleaned === '' || !/^[-+]?(\d+\.?\d*|\.\d+)$/.test(cleaned)) return null
  return Number(cleaned)
}

/** "2025-06-12" → localised date without a time zone shift. */
export function formatDay(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return value
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return d.toLocaleDateString(localeTag(), { year: 'numeric', month: 'short', day: 'numeric' })
}

export function formatDateTime(value: string): string {
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value
  return d.toLocaleString(localeTag(), { dateStyle: 'medium', timeStyle: 'short' })
}

export function uploadModeLabel(mode: UploadMode): string {
  return t(mode === 'BATCH' ? 'status.uploadMode.BATCH' : 'status.uploadMode.INDIVIDUAL')
}

/** Plain words for a copy's status ("Being graded", never LOCKED). */
export function copyStatusLabel(status: string): string {
  return labelOr(`status.copy.${status}`, status)
}

/** Plain words for an upload's status. */
export function uploadStatusLabel(status: string): string {
  return labelOr(`status.upload.${status}`, status)
}

function labelOr(key: string, raw: string): string {
  return has(key) ? t(key) : raw
}

/** A score in 0..1 (or already a percentage) → "87 %". */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return '—'
  const pct = score <= 1 ? score * 100 : score
  return `${formatNumber(Math.round(pct))}${currentLocale() === 'fr' ? '\u202f' : ' '}%`
}
