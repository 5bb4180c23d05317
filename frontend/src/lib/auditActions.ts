/**
 * Plain words for the audit trail's action codes ("copy.finalize" → "Copie finalisée"). The catalogue
 * (`i18n/messages/audit.ts`, `actions`) is the one list of known actions: the action picker offers it.
 */
import catalogue from '../i18n/messages/audit'
import { has, t } from '../i18n'

type Tree = { [key: string]: string | Tree }

function codes(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : codes(value, `${prefix}${key}.`),
  )
}

/** Every action code the catalogue words. */
export const AUDIT_ACTIONS: readonly string[] = codes(catalogue.fr.actions)

/** The words of an action code in the current language; an unknown code is shown as it is. */
export function auditActionLabel(code: string): string {
  const key = `audit.actions.${code}`
  return /^[a-z_]+(\.[a-z_]+)+$/.test(code) && has(key) ? t(key) : code
}

/** The known actions as picker options, sorted by their words in the current language. */
export function auditActionOptions(): { value: string; label: string }[] {
  return AUDIT_ACTIONS.map((value) => ({ value, label: auditActionLabel(value) })).sort((a, b) =>
    a.label.localeCompare(b.label),
  )
}
