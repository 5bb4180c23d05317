/**
 * Shared rubrics, the score rule mirrored from `chalicelib/domain/rubric.py` so the question desk
 * shows the computed score at once (the server computes it again on save and its answer wins).
 *
 * A question's score is `base + Σ deltas + adjustment` clamped to `0 … max`, where `base` is the
 * points of the one "absolute" item applied (0 without one); an off-step result (a leaf worth 1,4)
 * goes down to the quarter point.
 */
import { SCORE_STEP } from './scoring'

export type RubricKind = 'delta' | 'absolute'

/** What the score rule needs of an item. */
export interface ScoredItem {
  id: string
  kind: RubricKind
  points: number
}

/** Quarter points, away from binary noise. */
const EPS = 1e-9

function onStep(value: number): boolean {
  return Math.abs(value / SCORE_STEP - Math.round(value / SCORE_STEP)) < EPS
}

/** The question's score from the applied items and the adjustment (the server's rule). */
export function questionScore(applied: readonly Pick<ScoredItem, 'kind' | 'points'>[], adjustment: number, max: number): number {
  const absolute = applied.find((i) => i.kind === 'absolute')
  const base = absolute ? absolute.points : 0
  const deltas = applied.filter((i) => i.kind === 'delta').reduce((sum, i) => sum + i.points, 0)
  const raw = base + deltas + (Number.isFinite(adjustment) ? adjustment : 0)
  let score = Math.min(Math.max(raw, 0), max)
  if (!onStep(score) && Math.abs(score - max) > EPS) score = Math.floor(score / SCORE_STEP + EPS) * SCORE_STEP
  return Math.round(score * 100) / 100
}

/** The applied items of `ids`, in the rubric's order (unknown ids left out). */
export function appliedItems<T extends ScoredItem>(items: readonly T[], ids: readonly string[]): T[] {
  const chosen = new Set(ids.map(String))
  return items.filter((i) => chosen.has(String(i.id)))
}

/**
 * Applies or removes one item (a click or its number key). At most one absolute item is applied:
 * applying another absolute item replaces it.
 */
export function toggleItem(items: readonly ScoredItem[], ids: readonly string[], itemId: string): string[] {
  const id = String(itemId)
  if (ids.map(String).includes(id)) return ids.map(String).filter((x) => x !== id)
  const item = items.find((i) => String(i.id) === id)
  if (!item) return ids.map(String)
  const kept = item.kind === 'absolute' ? ids.map(String).filter((x) => items.find((i) => String(i.id) === x)?.kind !== 'absolute') : ids.map(String)
  return [...kept, id]
}

/** Why an item's points cannot be accepted (an i18n key of `questions.rubric.errors`), or null. */
export function pointsProblem(kind: RubricKind, points: number | null, max: number): string | null {
  if (points === null || !Number.isFinite(points)) return 'number'
  const size = kind === 'absolute' ? points : Math.abs(points)
  if (kind === 'absolute' && points < 0) return 'absoluteRange'
  if (size > max + EPS) return kind === 'absolute' ? 'absoluteRange' : 'deltaRange'
  if (!onStep(size) && Math.abs(size - max) > EPS) return 'step'
  return null
}

/** Why an adjustment cannot be accepted (same keys), or null: within ±max, quarter points. */
export function adjustmentProblem(adjustment: number | null, max: number): string | null {
  if (adjustment === null || !Number.isFinite(adjustment)) return 'number'
  if (Math.abs(adjustment) > max + EPS) return 'adjustmentRange'
  if (!onStep(adjustment) && Math.abs(Math.abs(adjustment) - max) > EPS) return 'step'
  return null
}

/** "+1", "−0,5" for deltas, "= 3" for absolute scores, in the interface's number format. */
export function pointsLabel(kind: RubricKind, points: number, format: (n: number) => string): string {
  if (kind === 'absolute') return `= ${format(points)}`
  return points < 0 ? `−${format(-points)}` : `+${format(points)}`
}
