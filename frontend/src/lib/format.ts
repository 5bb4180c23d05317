/** Small display helpers shared by the exam screens. */
import type { CopyStatus, UploadMode, UploadStatus } from '../api/exams'

/** 1536 → "1.5 KB" (binary multiples, the way file managers show sizes). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value >= 100 ? Math.round(value) : Math.round(value * 10) / 10} ${units[unit]}`
}

/** Rounds away binary noise (0.1 + 0.2) and drops useless decimals: 2.50 → "2.5". */
export function formatPoints(points: number): string {
  if (!Number.isFinite(points)) return '—'
  return String(Math.round(points * 100) / 100)
}

/** "2025-06-12" → localised date without a time zone shift. */
export function formatDay(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return value
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}

export function formatDateTime(value: string): string {
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function uploadModeLabel(mode: UploadMode): string {
  return mode === 'BATCH' ? 'Batch scan' : 'One PDF per copy'
}

const COPY_STATUS_LABELS: Record<CopyStatus, string> = {
  STAGING: 'To identify',
  READY: 'Ready',
  LOCKED: 'Being graded',
  GRADING_IN_PROGRESS: 'Rendering',
  GRADING_FAILED: 'Render failed',
  GRADED: 'Graded',
}

export function copyStatusLabel(status: string): string {
  return (COPY_STATUS_LABELS as Record<string, string>)[status] ?? status
}

const UPLOAD_STATUS_LABELS: Record<UploadStatus, string> = {
  UPLOADED: 'Uploaded',
  PROCESSING: 'Processing',
  DONE: 'Done',
  FAILED: 'Failed',
}

export function uploadStatusLabel(status: string): string {
  return (UPLOAD_STATUS_LABELS as Record<string, string>)[status] ?? status
}

/** A score in 0..1 (or already a percentage) → "87 %". */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return '—'
  const pct = score <= 1 ? score * 100 : score
  return `${Math.round(pct)} %`
}
