/**
 * Printable login slips: one PDF, one slip per student (name, class, sign-in,
 * temporary password, the sign-in address and what happens at the first
 * sign-in), eight slips per A4 page separated by dashed cut lines.
 *
 * Built in the admin's browser from the one-time credentials sheet the SPA has
 * just downloaded (the same bytes as the CSV): no password is sent or stored
 * anywhere else. pdf-lib is loaded on demand (its own chunk) with `import()`;
 * its standard fonts use WinAnsi, which covers French (a character it cannot
 * write loses its accent, else becomes "?").
 */
import { detectDelimiter, splitCsvLine } from './csvPreview'

/** One line of the credentials sheet. */
export interface CredentialRow {
  lastName: string
  firstName: string
  /** Empty when the roster gave none. */
  className: string
  /** The e-mail, else the generated sign-in id. */
  signIn: string
  password: string
}

/** The words printed on each slip (from the message catalogue). */
export interface SlipLabels {
  title: string
  className: string
  signIn: string
  password: string
  address: string
  instruction: string
  /** The PDF's title (document properties). */
  documentTitle: string
}

export interface SlipOptions {
  labels: SlipLabels
  /** Where students sign in, e.g. `https://korrigo.example.fr/student/login`. */
  signInUrl: string
}

/** A4 portrait, in PDF points. */
export const PAGE_WIDTH = 595.28
export const PAGE_HEIGHT = 841.89
export const COLUMNS = 2
export const ROWS = 4
export const SLIPS_PER_PAGE = COLUMNS * ROWS
const PADDING = 18
const DASH = [4, 3]

/** The credentials sheet (UTF-8 CSV, BOM, `;` or `,`) as rows, read by its header names. */
export function parseCredentialsCsv(text: string): CredentialRow[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .filter((line) => line.trim() !== '')
  const [header, ...body] = lines
  if (header === undefined) return []
  const delimiter = detectDelimiter(header)
  const names = splitCsvLine(header, delimiter)
  const at = (cells: string[], name: string): string => {
    const index = names.indexOf(name)
    return index < 0 ? '' : (cells[index] ?? '')
  }
  return body.map((line) => {
    const cells = splitCsvLine(line, delimiter)
    return {
      lastName: at(cells, 'last_name'),
      firstName: at(cells, 'first_name'),
      className: at(cells, 'class'),
      signIn: at(cells, 'sign_in'),
      password: at(cells, 'initial_password'),
    }
  })
}

/** Where a slip sits: its page (from 0) and its box, origin at the bottom left as in PDF. */
export interface SlipBox {
  page: number
  x: number
  y: number
  width: number
  height: number
}

/** The boxes of `count` slips, filled row by row from the top left of each page. */
export function slipBoxes(count: number): SlipBox[] {
  const width = PAGE_WIDTH / COLUMNS
  const height = PAGE_HEIGHT / ROWS
  return Array.from({ length: count }, (_, i) => {
    const slot = i % SLIPS_PER_PAGE
    const column = slot % COLUMNS
    const row = Math.floor(slot / COLUMNS)
    return {
      page: Math.floor(i / SLIPS_PER_PAGE),
      x: column * width,
      y: PAGE_HEIGHT - (row + 1) * height,
      width,
      height,
    }
  })
}

/** How many pages `count` slips take (at least one: an empty sheet still prints a page). */
export function pageCount(count: number): number {
  return Math.max(1, Math.ceil(count / SLIPS_PER_PAGE))
}

/** Windows-1252's characters above 0x7F that are not Latin-1 (€, ‚ … Ÿ). */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ')

function winAnsi(char: string): boolean {
  const code = char.codePointAt(0) ?? 0
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(char)
}

/** Text the standard PDF fonts can write: spaces made plain, unknown letters without accent, else "?". */
export function printable(text: string): string {
  let out = ''
  for (const char of text.replace(/[\u202F\u2009\u2007]/g, '\u00A0').replace(/[\t\r\n]/g, ' ')) {
    if (winAnsi(char)) {
      out += char
      continue
    }
    const bare = char.normalize('NFD').replace(/\p{M}/gu, '')
    out += bare !== '' && [...bare].every(winAnsi) ? bare : '?'
  }
  return out
}

/** What one slip says, top to bottom: a title, the name, label/value pairs, the instruction. */
export interface SlipText {
  title: string
  name: string
  className: [string, string]
  signIn: [string, string]
  password: [string, string]
  address: [string, string]
  instruction: string
}

export function slipText(row: CredentialRow, options: SlipOptions): SlipText {
  const { labels } = options
  const pair = (label: string, value: string): [string, string] => [printable(label), printable(value)]
  return {
    title: printable(labels.title),
    name: printable([row.lastName, row.firstName].filter(Boolean).join(' ')),
    className: pair(labels.className, row.className || '—'),
    signIn: pair(labels.signIn, row.signIn),
    password: pair(labels.password, row.password),
    address: pair(labels.address, options.signInUrl),
    instruction: printable(labels.instruction),
  }
}

/** The PDF of the slips (bytes), one slip per row in the sheet's order. */
export async function buildLoginSlips(rows: CredentialRow[], options: SlipOptions): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts, rgb } = await import('pdf-lib')
  const doc = await PDFDocument.create()
  doc.setTitle(printable(options.labels.documentTitle))
  doc.setCreator('Korrigo')
  const regular = await doc.embedFont(StandardFonts.Helvetica)
  const bold = await doc.embedFont(StandardFonts.HelveticaBold)
  const mono = await doc.embedFont(StandardFonts.CourierBold)
  const grey = rgb(0.4, 0.4, 0.4)
  const black = rgb(0, 0, 0)

  const pages = Array.from({ length: pageCount(rows.length) }, () => {
    const page = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT])
    // Cut lines: between the columns and between the rows.
    for (let c = 1; c < COLUMNS; c++) {
      const x = (PAGE_WIDTH / COLUMNS) * c
      page.drawLine({ start: { x, y: 0 }, end: { x, y: PAGE_HEIGHT }, thickness: 0.6, color: grey, dashArray: DASH })
    }
    for (let r = 1; r < ROWS; r++) {
      const y = (PAGE_HEIGHT / ROWS) * r
      page.drawLine({ start: { x: 0, y }, end: { x: PAGE_WIDTH, y }, thickness: 0.6, color: grey, dashArray: DASH })
    }
    return page
  })

  type Font = typeof regular
  /** `size`, or smaller so that `text` fits `width` (never below 6 pt). */
  const fit = (font: Font, text: string, size: number, width: number): number => {
    const measured = font.widthOfTextAtSize(text, size)
    return measured <= width ? size : Math.max(6, (size * width) / measured)
  }

  slipBoxes(rows.length).forEach((box, i) => {
    const row = rows[i]
    const page = pages[box.page]
    if (!row || !page) return
    const text = slipText(row, options)
    const left = box.x + PADDING
    const width = box.width - 2 * PADDING
    let y = box.y + box.height - PADDING - 9
    const line = (value: string, font: Font, size: number, gap: number, color = black): void => {
      page.drawText(value, { x: left, y, size: fit(font, value, size, width), font, color })
      y -= gap
    }
    /** A label, then its value in `font` on the same line (both smaller if the line is too long). */
    const field = ([label, value]: [string, string], font: Font, size: number, gap: number): void => {
      const head = `${label} `
      const scale = Math.min(
        1,
        width / (regular.widthOfTextAtSize(head, size) + font.widthOfTextAtSize(value, size)),
      )
      const fitted = Math.max(6, size * scale)
      page.drawText(head, { x: left, y, size: fitted, font: regular, color: grey })
      const x = left + regular.widthOfTextAtSize(head, fitted)
      page.drawText(value, { x, y, size: fitted, font, color: black })
      y -= gap
    }
    line(text.title, regular, 8.5, 22, grey)
    line(text.name, bold, 13, 20)
    field(text.className, regular, 10, 17)
    field(text.signIn, bold, 10, 18)
    field(text.password, mono, 11, 22)
    field(text.address, regular, 8.5, 16)
    line(text.instruction, regular, 8.5, 12)
  })
  return doc.save()
}
