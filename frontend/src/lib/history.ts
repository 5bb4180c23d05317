/** Readable names for the audit actions of a copy's history timeline (in the interface's language). */
import { has, t } from '../i18n'
import { formatPoints } from './format'

/** "annotation.create" → "Annotation ajoutée"; unknown codes get a tidy fallback. */
export function actionLabel(action: string): string {
  const key = `desk.history.actions.${action.replace(/\./g, '_')}`
  if (has(key)) return t(key)
  const words = action.replace(/[._-]+/g, ' ').trim()
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : t('desk.history.event')
}

/** A short, readable summary of an event's metadata (or ''). */
export function metadataSummary(action: string, metadata: Record<string, unknown> | null | undefined): string {
  if (!metadata) return ''
  const parts: string[] = []
  const m = metadata
  if (typeof m.type === 'string') parts.push(has(`desk.history.types.${m.type}`) ? t(`desk.history.types.${m.type}`) : m.type)
  if (typeof m.page_index === 'number') parts.push(t('desk.history.page', { n: m.page_index + 1 }))
  if (Array.isArray(m.fields) && m.fields.length > 0) parts.push(t('desk.history.changed', { fields: m.fields.join(', ') }))
  if (typeof m.total === 'number') parts.push(t('desk.history.total', { total: formatPoints(m.total) }))
  if (typeof m.attempt === 'number' && action !== 'scores.save') parts.push(t('desk.history.attempt', { n: m.attempt }))
  if (typeof m.holder === 'string' && m.holder) parts.push(t('desk.history.holder', { holder: m.holder }))
  if (Array.isArray(m.missing) && m.missing.length > 0) parts.push(t('desk.history.unscored', { n: m.missing.length }))
  if (typeof m.error === 'string' && m.error) parts.push(m.error)
  if (typeof m.reason === 'string' && m.reason) parts.push(m.reason)
  return parts.join(' · ')
}
