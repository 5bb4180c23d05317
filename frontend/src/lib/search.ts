/** Accent- and case-insensitive search over the roster (done in the browser). */
import type { RosterStudent } from '../api/exams'

const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', ł: 'l', đ: 'd', ı: 'i' }

/**
 * "Élodie D'Arc-Müller" → "elodie d arc muller": lower case, accents and
 * ligatures folded, punctuation (hyphens, apostrophes, dots) turned into
 * single spaces.
 */
export function foldText(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[œæßøłđı]/g, (c) => LIGATURES[c] ?? c)
    .replace(/[^\p{L}\p{N}@]+/gu, ' ')
    .trim()
}

export function studentFullName(s: Pick<RosterStudent, 'last_name' | 'first_name'>): string {
  return [s.last_name.toUpperCase(), s.first_name].filter((p) => p.trim() !== '').join(' ')
}

function haystack(s: RosterStudent): string {
  return foldText(
    [s.last_name, s.first_name, s.email, s.student_number, s.class_name].filter(Boolean).join(' '),
  )
}

/**
 * Students whose name (or email, student number, class) contains every word
 * of the query, in any order. Names starting with the query come first.
 */
export function filterStudents(students: readonly RosterStudent[], query: string, limit = 50): RosterStudent[] {
  const words = foldText(query).split(' ').filter((w) => w !== '')
  if (words.length === 0) return []
  const scored: { s: RosterStudent; rank: number }[] = []
  for (const s of students) {
    const hay = ` ${haystack(s)}`
    if (!words.every((w) => hay.includes(w))) continue
    // Whole-word starts rank before matches inside a word.
    const rank = words.reduce((acc, w) => acc + (hay.includes(` ${w}`) ? 0 : 1), 0)
    scored.push({ s, rank })
  }
  scored.sort(
    (a, b) =>
      a.rank - b.rank ||
      a.s.last_name.localeCompare(b.s.last_name, undefined, { sensitivity: 'base' }) ||
      a.s.first_name.localeCompare(b.s.first_name, undefined, { sensitivity: 'base' }),
  )
  return scored.slice(0, limit).map((x) => x.s)
}
