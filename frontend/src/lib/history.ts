/** Readable names for the audit actions of a copy's history timeline. */

const ACTION_LABELS: Record<string, string> = {
  'upload.processed': 'Scan processed',
  'upload.failed': 'Scan processing failed',
  'copy.identify': 'Copy identified',
  'exam.dispatch': 'Dispatched to a teacher',
  'copy.dispatch': 'Dispatched to a teacher',
  'copy.reassign': 'Reassigned to another teacher',
  'lock.acquire': 'Opened for grading (lock taken)',
  'lock.release': 'Lock released',
  'lock.break': 'Lock broken by an administrator',
  'lock.expire': 'Lock expired',
  'annotation.create': 'Annotation added',
  'annotation.update': 'Annotation changed',
  'annotation.delete': 'Annotation deleted',
  'scores.save': 'Scores saved',
  'draft.save': 'Draft autosaved',
  'copy.finalize': 'Finalised',
  'copy.retry': 'Render retried',
  'copy.graded': 'Final PDF ready (graded)',
  'copy.render_failed': 'Render failed',
  'copy.reopen': 'Reopened by an administrator',
  'copy.download': 'Final PDF downloaded',
  'final_pdf.download': 'Final PDF downloaded',
}

/** "annotation.create" → "Annotation added"; unknown codes get a tidy fallback. */
export function actionLabel(action: string): string {
  const known = ACTION_LABELS[action]
  if (known) return known
  const words = action.replace(/[._-]+/g, ' ').trim()
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Event'
}

const ANNOTATION_TYPES: Record<string, string> = {
  rect: 'rectangle',
  ink: 'ink',
  tick: 'tick',
  cross: 'cross',
  text: 'text comment',
}

/** A short, readable summary of an event's metadata (or ''). */
export function metadataSummary(action: string, metadata: Record<string, unknown> | null | undefined): string {
  if (!metadata) return ''
  const parts: string[] = []
  const m = metadata
  if (typeof m.type === 'string') parts.push(ANNOTATION_TYPES[m.type] ?? m.type)
  if (typeof m.page_index === 'number') parts.push(`page ${m.page_index + 1}`)
  if (Array.isArray(m.fields) && m.fields.length > 0) parts.push(`changed: ${m.fields.join(', ')}`)
  if (typeof m.total === 'number') parts.push(`total ${Math.round(m.total * 100) / 100}`)
  if (typeof m.attempt === 'number' && action !== 'scores.save') parts.push(`attempt ${m.attempt}`)
  if (typeof m.holder === 'string' && m.holder) parts.push(`holder: ${m.holder}`)
  if (Array.isArray(m.missing) && m.missing.length > 0) parts.push(`${m.missing.length} unscored`)
  if (typeof m.error === 'string' && m.error) parts.push(m.error)
  if (typeof m.reason === 'string' && m.reason) parts.push(m.reason)
  return parts.join(' · ')
}
