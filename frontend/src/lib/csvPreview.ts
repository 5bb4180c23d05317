/**
 * Preview of a CSV file before import (display only: the server parses the
 * file for real). Handles `;` or `,`, quoted cells and a UTF-8 BOM.
 */

export interface CsvPreview {
  delimiter: ';' | ','
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

export function detectDelimiter(headerLine: string): ';' | ',' {
  const semicolons = headerLine.split(';').length - 1
  const commas = headerLine.split(',').length - 1
  return semicolons >= commas && semicolons > 0 ? ';' : ','
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
