import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  buildLoginSlips,
  pageCount,
  parseCredentialsCsv,
  printable,
  SLIPS_PER_PAGE,
  slipBoxes,
  slipText,
  PAGE_HEIGHT,
  PAGE_WIDTH,
  type CredentialRow,
  type SlipOptions,
} from '../src/lib/loginSlips'

const OPTIONS: SlipOptions = {
  signInUrl: 'https://korrigo.lycee.example.fr/student/login',
  labels: {
    title: 'Korrigo – vos identifiants de connexion',
    className: 'Classe :',
    signIn: 'Identifiant :',
    password: 'Mot de passe provisoire :',
    address: 'Adresse :',
    instruction: 'À la première connexion, vous choisirez un nouveau mot de passe.',
    documentTitle: 'Fiches de connexion',
  },
}

const row = (i: number): CredentialRow => ({
  lastName: `NOM${i}`,
  firstName: 'Éloïse',
  className: '3B',
  signIn: `eleve${i}@lycee.example.org`,
  password: `Granite-Harbor-${i}`,
})

/** The text a PDF shows, from its (Flate) content streams: pdf-lib writes strings as <hex> Tj. */
function pdfText(bytes: Uint8Array): string {
  const raw = Buffer.from(bytes).toString('latin1')
  const shown: string[] = []
  for (const match of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string
    try {
      content = inflateSync(Buffer.from(match[1]!, 'latin1')).toString('latin1')
    } catch {
      continue
    }
    for (const hex of content.matchAll(/<([0-9A-Fa-f]*)> Tj/g)) {
      shown.push(Buffer.from(hex[1]!, 'hex').toString('latin1'))
    }
  }
  return shown.join('\n')
}

async function pagesOf(bytes: Uint8Array): Promise<number> {
  const { PDFDocument } = await import('pdf-lib')
  return (await PDFDocument.load(bytes)).getPageCount()
}

describe('login slips', () => {
  it('read the credentials sheet by its header names (BOM, ;, quotes)', () => {
    const csv =
      '\uFEFFlast_name;first_name;class;sign_in;initial_password\r\n' +
      'DUPONT;Éloïse;3B;eloise@lycee.example.org;Lamp-72\r\n' +
      '"DE LA TOUR; fils";Françoise;;francoise.de-la-tour.482;"Harbor-""9"""\r\n'
    expect(parseCredentialsCsv(csv)).toEqual([
      { lastName: 'DUPONT', firstName: 'Éloïse', className: '3B', signIn: 'eloise@lycee.example.org', password: 'Lamp-72' },
      { lastName: 'DE LA TOUR; fils', firstName: 'Françoise', className: '', signIn: 'francoise.de-la-tour.482', password: 'Harbor-"9"' },
    ])
  })

  it('a sheet without the class column (an older one) still reads', () => {
    const [only] = parseCredentialsCsv('last_name,first_name,sign_in,initial_password\nMARTIN,Léa,lea.martin.482,pw\n')
    expect(only).toEqual({ lastName: 'MARTIN', firstName: 'Léa', className: '', signIn: 'lea.martin.482', password: 'pw' })
  })

  it('puts eight slips on each A4 page, row by row, and N students on ceil(N / 8) pages', () => {
    expect(SLIPS_PER_PAGE).toBe(8)
    expect([0, 1, 8, 9, 17].map(pageCount)).toEqual([1, 1, 1, 2, 3])
    const boxes = slipBoxes(9)
    expect(boxes.map((b) => b.page)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1])
    expect(boxes[0]).toMatchObject({ x: 0, y: PAGE_HEIGHT - PAGE_HEIGHT / 4, width: PAGE_WIDTH / 2 })
    expect(boxes[1]!.x).toBe(PAGE_WIDTH / 2)
    expect(boxes[7]).toMatchObject({ x: PAGE_WIDTH / 2, y: 0 })
    expect(boxes[8]).toMatchObject({ page: 1, x: 0, y: boxes[0]!.y })
  })

  it('says who, which class, how to sign in, the password, where and what happens first', () => {
    const text = slipText(row(1), OPTIONS)
    expect(text.name).toBe('NOM1 Éloïse')
    expect(text.className).toEqual(['Classe :', '3B'])
    expect(text.signIn).toEqual(['Identifiant :', 'eleve1@lycee.example.org'])
    expect(text.password).toEqual(['Mot de passe provisoire :', 'Granite-Harbor-1'])
    expect(text.address[1]).toBe(OPTIONS.signInUrl)
    expect(text.instruction).toBe('À la première connexion, vous choisirez un nouveau mot de passe.')
  })

  it('keeps French letters and writes the others without their accent (the PDF fonts are WinAnsi)', () => {
    expect(printable('Éloïse Françoise Œdipe « à » …')).toBe('Éloïse Françoise Œdipe « à » …')
    expect(printable('Łukasz Ștefan 王')).toBe('?ukasz Stefan ?')
    expect(printable('a\u202F;')).toBe('a\u00A0;')
  })

  it('builds one PDF with one slip per student, French text included', async () => {
    const rows = Array.from({ length: 17 }, (_, i) => row(i))
    const pdf = await buildLoginSlips(rows, OPTIONS)
    expect(Buffer.from(pdf.slice(0, 5)).toString('latin1')).toBe('%PDF-')
    expect(await pagesOf(pdf)).toBe(3)
    const text = pdfText(pdf)
    for (const r of rows) {
      expect(text).toContain(r.password)
      expect(text).toContain(r.signIn)
    }
    expect(text.split('À la première connexion, vous choisirez un nouveau mot de passe.')).toHaveLength(18)
    expect(text).toContain('NOM16 Éloïse')
  })
})
