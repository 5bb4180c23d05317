/**
 * A failure stored on a record (a FAILED scan, a copy whose render failed) in the user's language: the
 * record's stable reason code worded by `messages/failures.ts`, else the stored English sentence.
 */
import { has, t } from '../i18n'
import { formatBytes, formatNumber } from './format'

export type FailureParams = Readonly<Record<string, unknown>> | null | undefined

const BYTES = new Set(['size', 'declared'])

/** The sentence for `reason` with its `params`, or `fallback` (the stored text) when the catalogue lacks it. */
export function failureText(reason: string | null | undefined, params: FailureParams, fallback: string): string {
  if (!reason || !has(`failures.${reason}`)) return fallback
  const values: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(params ?? {})) {
    values[name] = typeof value === 'number' ? (BYTES.has(name) ? formatBytes(value) : formatNumber(value)) : value
  }
  if (reason === 'file_too_large' && typeof params?.limit === 'number') values.limit = formatBytes(params.limit)
  if (reason === 'not_a_pdf') values.kind = values.kind ? t('failures.not_a_pdf_kind', { kind: values.kind }) : ''
  return t(`failures.${reason}`, values)
}
