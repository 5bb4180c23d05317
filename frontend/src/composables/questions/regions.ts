/**
 * Question regions as the dispatch tab edits them: a box drawn on the sample page (two corners in
 * 0 … 1 of the page), the fields in percent, and what `PUT /question-regions` receives.
 */
import type { QuestionRegion } from '../../api/questions'
import type { ScoreRow } from '../../lib/scoring'

/** A leaf with its full label ("Exercice 1 › a"), for the per-question rows. */
export interface LeafQuestion {
  id: string
  label: string
  max: number
}

/** The scheme's leaves, each labelled with its parents' labels. */
export function leafQuestions(rows: readonly ScoreRow[]): LeafQuestion[] {
  const stack: string[] = []
  const out: LeafQuestion[] = []
  for (const row of rows) {
    stack.length = row.depth - 1
    stack.push(row.label)
    if (row.leaf) out.push({ id: row.id, label: stack.join(' › '), max: row.max })
  }
  return out
}

const clamp01 = (n: number): number => Math.min(1, Math.max(0, n))
const round4 = (n: number): number => Math.round(n * 10000) / 10000

/** The box between two corners of a drag (any direction), clamped to the page. */
export function boxFromCorners(page: number, a: { x: number; y: number }, b: { x: number; y: number }): QuestionRegion {
  const x1 = clamp01(Math.min(a.x, b.x))
  const y1 = clamp01(Math.min(a.y, b.y))
  const x2 = clamp01(Math.max(a.x, b.x))
  const y2 = clamp01(Math.max(a.y, b.y))
  return { page, x: round4(x1), y: round4(y1), w: round4(x2 - x1), h: round4(y2 - y1) }
}

/** Whether a region fits its page: page in range, box within 0 … 1 and not empty. */
export function regionValid(r: QuestionRegion, pageCount: number): boolean {
  const finite = [r.x, r.y, r.w, r.h].every((v) => Number.isFinite(v))
  return (
    finite &&
    Number.isInteger(r.page) &&
    r.page >= 0 &&
    (pageCount <= 0 || r.page < pageCount) &&
    r.x >= 0 &&
    r.y >= 0 &&
    r.w > 0 &&
    r.h > 0 &&
    r.x + r.w <= 1 + 1e-9 &&
    r.y + r.h <= 1 + 1e-9
  )
}

/** Percent (what the fields show, one decimal) ↔ fraction (what the API stores). */
export const toPercent = (f: number): number => Math.round(f * 1000) / 10
export const fromPercent = (p: number): number => round4(p / 100)
