/**
 * Scores of a copy against its marking scheme (pure helpers of the score sidebar).
 *
 * - Each leaf question gets a score typed as text ("1,5" and "1.5" both work),
 *   0 ≤ score ≤ the leaf's points, in quarter points or exactly the leaf's
 *   points (full marks are reachable on a 1.4-point leaf): the server's rule
 *   (`chalicelib/domain/scoring.py`), checked exactly in hundredths.
 * - Parents show the subtotal of their children; the grand total sums the leaves.
 * - Empty means "not scored yet"; invalid text is flagged and never sent.
 */
import type { SchemeNode } from '../api/exams'
import { t } from '../i18n'
import { formatPoints, parseDecimal } from './format'

export interface ScoreRow {
  id: string
  label: string
  /** 1-based dotted path: "1", "1.2". */
  path: string
  depth: number
  leaf: boolean
  /** Leaf: its max points. Parent: the sum of its leaves' points. */
  max: number
  /** Leaf ids under this row (itself for a leaf). */
  leafIds: string[]
}

export interface ScoreForm {
  /** Leaf id → the text of its input. */
  scores: Record<string, string>
  remarks: Record<string, string>
  appreciation: string
}

/** What the autosaved draft holds (the `payload` of PUT /draft). */
export interface DraftPayload {
  scores: Record<string, number>
  remarks: Record<string, string>
  appreciation: string
  /** Version of the server scores this draft was written on top of. */
  scores_version: number
}

const round2 = (n: number): number => Math.round(n * 100) / 100

/** The grading step: scores are quarter points (plus each leaf's full marks). */
export const SCORE_STEP = 0.25
const STEP_HUNDREDTHS = 25

/**
 * A non-negative `n` in hundredths when it has at most two decimals, else null. Exact: it reads the
 * number's shortest text form, the one JSON sends and the server reads as a decimal.
 */
function hundredths(n: number): number | null {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(n))
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : null
}

function onQuarter(n: number): boolean {
  const h = hundredths(n)
  return h !== null && h % STEP_HUNDREDTHS === 0
}

/** The step rule: a multiple of 0.25 or exactly the leaf's points (bounds are checked apart). */
export function onStep(score: number, max: number): boolean {
  return onQuarter(score) || (hundredths(score) !== null && hundredths(score) === hundredths(max))
}

/** The score ↑ / ↓ gives: the next quarter point above / below, within 0 … max (↑ ends on max). */
export function stepScore(text: string | undefined | null, max: number, direction: 1 | -1): number {
  const top = Math.round(max * 100)
  const current = parseScore(text)
  let next: number
  if (current === null) next = direction > 0 ? 0 : top
  else {
    const h = Math.round(current * 100)
    const quarters = direction > 0 ? Math.floor(h / STEP_HUNDREDTHS) + 1 : Math.ceil(h / STEP_HUNDREDTHS) - 1
    next = quarters * STEP_HUNDREDTHS
  }
  return Math.min(top, Math.max(0, next)) / 100
}

/** Flattens the scheme into rows, depth first (the order of the sidebar). */
export function flattenScheme(nodes: readonly SchemeNode[] | null | undefined): ScoreRow[] {
  const rows: ScoreRow[] = []
  const walk = (list: readonly SchemeNode[], prefix: string, depth: number): string[] => {
    const leafIds: string[] = []
    list.forEach((node, i) => {
      const path = prefix ? `${prefix}.${i + 1}` : String(i + 1)
      const children = node.children ?? []
      const row: ScoreRow = {
        id: String(node.id),
        label: node.label,
        path,
        depth,
        leaf: children.length === 0,
        max: 0,
        leafIds: [],
      }
      rows.push(row)
      if (row.leaf) {
        row.max = Number(node.points) || 0
        row.leafIds = [row.id]
      } else {
        row.leafIds = walk(children, path, depth + 1)
      }
      leafIds.push(...row.leafIds)
    })
    return leafIds
  }
  walk(nodes ?? [], '', 1)
  const byId = new Map(rows.map((r) => [r.id, r]))
  for (const row of rows) {
    if (!row.leaf) row.max = round2(row.leafIds.reduce((s, id) => s + (byId.get(id)?.max ?? 0), 0))
  }
  return rows
}

export function leafRows(rows: readonly ScoreRow[]): ScoreRow[] {
  return rows.filter((r) => r.leaf)
}

/** "1,5" and "1.5" → 1.5; null for empty or non-numeric text. */
export function parseScore(text: string | undefined | null): number | null {
  return parseDecimal(text ?? '')
}

/** The problem with a typed score, or null when it is empty or valid. */
export function scoreError(text: string | undefined | null, max: number): string | null {
  const typed = (text ?? '').trim()
  if (typed === '') return null
  const n = parseScore(typed)
  if (n === null) return t('desk.scores.errors.number')
  if (n < 0) return t('desk.scores.errors.negative')
  if (n > max) return t('desk.scores.errors.max', { max: formatPoints(max) })
  if (!onStep(n, max)) return onQuarter(max) ? t('desk.scores.errors.step') : t('desk.scores.errors.stepOrFull', { max: formatPoints(max) })
  return null
}

/** The valid score of a leaf, or null (empty or invalid). */
export function validScore(text: string | undefined | null, max: number): number | null {
  return scoreError(text, max) === null ? parseScore(text) : null
}

/** Sum of the valid scores of the given leaves. */
export function subtotal(rows: readonly ScoreRow[], form: Pick<ScoreForm, 'scores'>, leafIds: readonly string[]): number {
  const byId = new Map(rows.map((r) => [r.id, r]))
  let sum = 0
  for (const id of leafIds) {
    const row = byId.get(id)
    if (!row) continue
    sum += validScore(form.scores[id], row.max) ?? 0
  }
  return round2(sum)
}

export function grandTotal(rows: readonly ScoreRow[], form: Pick<ScoreForm, 'scores'>): number {
  return subtotal(rows, form, leafRows(rows).map((r) => r.id))
}

/** Leaves without a valid score. */
export function unscoredLeaves(rows: readonly ScoreRow[], form: Pick<ScoreForm, 'scores'>): ScoreRow[] {
  return leafRows(rows).filter((r) => validScore(form.scores[r.id], r.max) === null)
}

/** Leaves whose text is not a valid score (empty ones are not invalid). */
export function invalidLeaves(rows: readonly ScoreRow[], form: Pick<ScoreForm, 'scores'>): ScoreRow[] {
  return leafRows(rows).filter((r) => scoreError(form.scores[r.id], r.max) !== null)
}

/** The body of PUT /scores: valid scores only, non-empty remarks of known leaves. */
export function scoresPayload(rows: readonly ScoreRow[], form: ScoreForm): { scores: Record<string, number>; remarks: Record<string, string>; appreciation: string } {
  const scores: Record<string, number> = {}
  const remarks: Record<string, string> = {}
  for (const row of leafRows(rows)) {
    const value = validScore(form.scores[row.id], row.max)
    if (value !== null) scores[row.id] = value
    const remark = form.remarks[row.id] ?? ''
    if (remark.trim() !== '') remarks[row.id] = remark
  }
  return { scores, remarks, appreciation: form.appreciation }
}

export function draftPayload(rows: readonly ScoreRow[], form: ScoreForm, scoresVersion: number): DraftPayload {
  return { ...scoresPayload(rows, form), scores_version: scoresVersion }
}

/** The form from saved values (server scores or a draft). */
export function formFrom(
  rows: readonly ScoreRow[],
  saved: { scores?: Record<string, unknown> | null; remarks?: Record<string, unknown> | null; appreciation?: unknown },
): ScoreForm {
  const form: ScoreForm = { scores: {}, remarks: {}, appreciation: typeof saved.appreciation === 'string' ? saved.appreciation : '' }
  for (const row of leafRows(rows)) {
    const value = saved.scores?.[row.id]
    form.scores[row.id] = typeof value === 'number' && Number.isFinite(value) ? formatPoints(value) : ''
    const remark = saved.remarks?.[row.id]
    form.remarks[row.id] = typeof remark === 'string' ? remark : ''
  }
  return form
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A draft payload read back from the server, or null when it is not one of ours. */
export function readDraftPayload(payload: unknown): DraftPayload | null {
  if (!isObject(payload) || !isObject(payload.scores)) return null
  const scores: Record<string, number> = {}
  for (const [k, v] of Object.entries(payload.scores)) if (typeof v === 'number' && Number.isFinite(v)) scores[k] = v
  const remarks: Record<string, string> = {}
  if (isObject(payload.remarks)) for (const [k, v] of Object.entries(payload.remarks)) if (typeof v === 'string') remarks[k] = v
  return {
    scores,
    remarks,
    appreciation: typeof payload.appreciation === 'string' ? payload.appreciation : '',
    scores_version: typeof payload.scores_version === 'number' ? payload.scores_version : -1,
  }
}

/**
 * Whether the autosaved draft is newer than the saved scores: it was written
 * on top of the current (or a later) scores version. A draft without that
 * marker falls back to comparing the draft version with the scores version.
 */
export function draftIsNewer(draft: { version: number; payload: unknown }, scoresVersion: number): boolean {
  const payload = readDraftPayload(draft.payload)
  if (!payload || draft.version <= 0) return false
  if (payload.scores_version >= 0) return payload.scores_version >= scoresVersion
  return draft.version > scoresVersion
}

/** Same values (numbers compared as numbers, remarks trimmed of nothing). */
export function sameScores(a: Omit<DraftPayload, 'scores_version'>, b: Omit<DraftPayload, 'scores_version'>): boolean {
  const keys = new Set([...Object.keys(a.scores), ...Object.keys(b.scores)])
  for (const k of keys) if (a.scores[k] !== b.scores[k]) return false
  const rkeys = new Set([...Object.keys(a.remarks), ...Object.keys(b.remarks)])
  for (const k of rkeys) if ((a.remarks[k] ?? '') !== (b.remarks[k] ?? '')) return false
  return a.appreciation === b.appreciation
}
