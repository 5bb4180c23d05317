/**
 * Roster files on the screen: decoding the chosen file as the server does
 * (UTF-8, else Windows-1252 as French Excel writes it) and showing how the
 * server read its columns (the `mapping` of the import's 202 answer).
 */
import { t } from '../i18n'

/** How the server read the file: Korrigo field → the file's header, and the unread columns. */
export interface RosterMapping {
  encoding: string
  delimiter: string
  columns: Record<string, string>
  ignored: string[]
}

/** Korrigo fields in display order (their labels: `roster.mapping.fields.<field>`). */
export const ROSTER_FIELDS: readonly string[] = [
  'full_name',
  'last_name',
  'first_name',
  'email',
  'class_name',
  'group',
  'student_number',
  'birth_date',
]

export interface MappingRow {
  column: string
  field: string
}

/** "Column in your file → Korrigo field" rows, in Korrigo's field order, in the interface's language. */
export function mappingRows(mapping: RosterMapping): MappingRow[] {
  return ROSTER_FIELDS.flatMap((key) => {
    const column = mapping.columns[key]
    return column === undefined ? [] : [{ column, field: t(`roster.mapping.fields.${key}`) }]
  })
}

/** A separator as a reader sees it: `;`, `,` or "tab" (in the interface's language). */
export function delimiterLabel(delimiter: string): string {
  return delimiter === '\t' ? t('roster.mapping.tab') : delimiter
}

/** The file's text and encoding: UTF-8 (BOM or not) when valid, else Windows-1252. */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: string } {
  try {
    // `stream` tolerates a character cut at the end of a truncated preview slice.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes, { stream: true })
    return { text, encoding: 'UTF-8' }
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'Windows-1252' }
  }
}
