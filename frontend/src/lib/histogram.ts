/**
 * Geometry of the score histogram (a hand-written SVG): pure, so it can be
 * tested without rendering. Coordinates are in the SVG's viewBox units.
 */
import type { HistogramBucket } from '../api/results'
import { formatPoints } from './format'

export interface HistogramBar {
  x: number
  y: number
  width: number
  height: number
  bucket: HistogramBucket
  /** "from–to: count", the bar's tooltip and accessible name. */
  label: string
}

export interface HistogramTick {
  /** Position along the axis (y for counts, x for scores). */
  at: number
  text: string
}

export interface HistogramLayout {
  width: number
  height: number
  plot: { x: number; y: number; width: number; height: number }
  bars: HistogramBar[]
  yTicks: HistogramTick[]
  xTicks: HistogramTick[]
}

export const HISTOGRAM_SIZE = { width: 640, height: 240 } as const
const MARGIN = { top: 16, right: 12, bottom: 44, left: 40 } as const

/** "0–2: 3" — the range of a bucket (en dash) and its count. */
export function bucketLabel(bucket: HistogramBucket): string {
  return `${formatPoints(bucket.from)}–${formatPoints(bucket.to)}: ${bucket.count}`
}

/** Whole-number steps for the count axis: at most about 5 ticks. */
function countTicks(maxCount: number): number[] {
  const top = Math.max(1, Math.ceil(maxCount))
  const raw = top / 4
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(1, raw)))
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? Math.ceil(raw))
  const ticks: number[] = []
  for (let v = 0; v < top + step; v += step) {
    ticks.push(v)
    if (v >= top) break
  }
  return ticks
}

export function histogramLayout(buckets: readonly HistogramBucket[]): HistogramLayout {
  const { width, height } = HISTOGRAM_SIZE
  const plot = {
    x: MARGIN.left,
    y: MARGIN.top,
    width: width - MARGIN.left - MARGIN.right,
    height: height - MARGIN.top - MARGIN.bottom,
  }
  const n = buckets.length
  const maxCount = buckets.reduce((m, b) => Math.max(m, Number.isFinite(b.count) ? b.count : 0), 0)
  const ticks = countTicks(maxCount)
  const yMax = ticks[ticks.length - 1] ?? 1
  const yOf = (count: number) => plot.y + plot.height - (count / yMax) * plot.height

  const slot = n > 0 ? plot.width / n : plot.width
  const gap = Math.min(6, slot * 0.15)
  const bars: HistogramBar[] = buckets.map((bucket, i) => {
    const count = Number.isFinite(bucket.count) ? Math.max(0, bucket.count) : 0
    // A non-empty bucket stays visible however small it is.
    const h = count > 0 ? Math.max(2, (count / yMax) * plot.height) : 0
    return {
      x: plot.x + i * slot + gap / 2,
      y: plot.y + plot.height - h,
      width: Math.max(1, slot - gap),
      height: h,
      bucket,
      label: bucketLabel(bucket),
    }
  })

  const yTicks = ticks.map((v) => ({ at: yOf(v), text: String(v) }))

  // Bucket boundaries under the axis; fewer of them when the buckets are narrow.
  const every = Math.max(1, Math.ceil((n + 1) / 11))
  const indices: number[] = []
  for (let i = 0; i < n; i += every) indices.push(i)
  if (n > 0) {
    const last = indices[indices.length - 1] ?? 0
    if (indices.length > 1 && n - last < every) indices.pop()
    indices.push(n)
  }
  const xTicks: HistogramTick[] = indices.map((i) => ({
    at: plot.x + i * slot,
    text: formatPoints(i < n ? buckets[i]!.from : buckets[n - 1]!.to),
  }))

  return { width, height, plot, bars, yTicks, xTicks }
}
