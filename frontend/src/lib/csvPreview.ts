/**
 * Preview of a CSV file before import (display only: the server parses the
 * file for real). Handles `;`, `,` or tab, quoted cells and a UTF-8 BOM.
 */

export type Delimiter = ';' | ',' | '\t'

export interface CsvPreview {
  delimiter: Delimiter
  /** First rows (header included), split into cells. */
  rows: string[][]
  /** Number of non-empty lines in the file (header included). */
  lineCount: number
  /** True when the text has U+FFFD: the file was probably not saved as UTF-8. */
  suspiciousEncoding: boolean
}

/** Splits one CSV line, honouring double quotes ("a;b" and "" escapes). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cell += '"'
          i += 1
        } else {
          quoted = false
        }
      } else {
        cell += c
      }
    } else if (c === '"' && cell === '') {
      quoted = true
    } else if (c === delimiter) {
      cells.push(cell)
      cell = ''
    } else {
      cell += c
    }
  }
  cells.push(cell)
  return cells.map((x) => x.trim())
}

/** The separator used most often outside quotes on the header line (`;` wins a tie, `,` when none). */
export function detectDelimiter(headerLine: string): Delimiter {
  const counts: Record<Delimiter, number> = { ';': 0, ',': 0, '\t': 0 }
  let quoted = false
  for (const c of headerLine) {
    if (c === '"') quoted = !quoted
    else if (!quoted && c in counts) counts[c as Delimiter] += 1
  }
  const best = ([';', ',', '\t'] as const).reduce((a, b) => (counts[b] > counts[a] ? b : a))
  return counts[best] > 0 ? best : ','
}

export function previewCsv(text: string, maxRows = 6): CsvPreview {
  const clean = text.replace(/^\uFEFF/, '')
  const lines = clean.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '')
  const delimiter = detectDelimiter(lines[0] ?? '')
  return {
    delimiter,
    rows: lines.slice(0, maxRows).map((l) => splitCsvLine(l, delimiter)),
    lineCount: lines.length,
    suspiciousEncoding: clean.includes('\uFFFD'),
  }
}
