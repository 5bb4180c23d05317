/**
 * Normalised page geometry for annotations.
 *
 * Annotations are stored in page units: x and y in [0, 1] of the page width
 * and height, origin at the top-left corner. The desk shows the page at some
 * display size (CSS pixels); these pure helpers convert both ways, clamp to
 * the page, build rectangles from a drag, simplify free-hand strokes and find
 * the annotation under the pointer.
 */
import type { Annotation, Geometry, InkGeometry, PointGeometry, RectGeometry } from '../api/grading'

export interface Size {
  width: number
  height: number
}

export interface Point {
  x: number
  y: number
}

/** The most points an ink stroke may have (the API refuses more). */
export const MAX_INK_POINTS = 2000

/** Size of a tick / cross, as a fraction of the page width (the render uses the same). */
export const MARK_SIZE = 0.03

/** The identity zone of a copy's first page (masked for teachers): its top quarter (`HEADER_FRACTION` of `functions/pdf/render.py`). */
export const IDENTITY_BAND = 0.25

/** Font size of a text comment, as a fraction of the page width. */
export const TEXT_SIZE = 0.018

export function clamp01(value: number): number {
  if (!Number.isFinite(value)) return 0
  return value < 0 ? 0 : value > 1 ? 1 : value
}

/** Rounds to 6 decimals: plenty for a page, and keeps the JSON short. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6
}

/** A point in display pixels → normalised page units, clamped to [0, 1]. */
export function toNormalized(point: Point, size: Size): Point {
  if (size.width <= 0 || size.height <= 0) return { x: 0, y: 0 }
  return { x: round6(clamp01(point.x / size.width)), y: round6(clamp01(point.y / size.height)) }
}

/** A normalised point → display pixels. */
export function toDisplay(point: Point, size: Size): Point {
  return { x: point.x * size.width, y: point.y * size.height }
}

/**
 * The rectangle spanned by a drag (any direction), in normalised units and
 * kept on the page. Null when it is smaller than `minPx` on both axes.
 */
export function rectFromDrag(start: Point, end: Point, size: Size, minPx = 4): RectGeometry | null {
  const a = toNormalized(start, size)
  const b = toNormalized(end, size)
  const x = Math.min(a.x, b.x)
  const y = Math.min(a.y, b.y)
  const w = Math.abs(a.x - b.x)
  const h = Math.abs(a.y - b.y)
  if (w * size.width < minPx && h * size.height < minPx) return null
  if (w <= 0 || h <= 0) return null
  return { x: round6(x), y: round6(y), w: round6(Math.min(w, 1 - x)), h: round6(Math.min(h, 1 - y)) }
}

/** A rectangle in display pixels. */
export function rectToDisplay(rect: RectGeometry, size: Size): { x: number; y: number; w: number; h: number } {
  return { x: rect.x * size.width, y: rect.y * size.height, w: rect.w * size.width, h: rect.h * size.height }
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x
  const dy = b.y - a.y
  const len2 = dx * dx + dy * dy
  if (len2 === 0) return Math.hypot(p.x - a.x, p.y - a.y)
  const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2))
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy))
}

/** Ramer–Douglas–Peucker simplification (iterative), keeping the end points. */
export function simplify(points: readonly Point[], tolerance: number): Point[] {
  if (points.length <= 2) return points.slice()
  const keep = new Uint8Array(points.length)
  keep[0] = 1
  keep[points.length - 1] = 1
  const stack: [number, number][] = [[0, points.length - 1]]
  while (stack.length > 0) {
    const [first, last] = stack.pop()!
    let maxDist = -1
    let index = -1
    const a = points[first]!
    const b = points[last]!
    for (let i = first + 1; i < last; i++) {
      const d = distanceToSegment(points[i]!, a, b)
      if (d > maxDist) {
        maxDist = d
        index = i
      }
    }
    if (index !== -1 && maxDist > tolerance) {
      keep[index] = 1
      stack.push([first, index], [index, last])
    }
  }
  return points.filter((_, i) => keep[i] === 1)
}

/**
 * A free-hand stroke sampled in display pixels → the ink geometry: simplified
 * (about `tolerancePx` of error), normalised, clamped, at most
 * MAX_INK_POINTS points. Null when fewer than 2 distinct points remain
 * (a click is not a stroke).
 */
export function inkFromStroke(samples: readonly Point[], size: Size, tolerancePx = 1): InkGeometry | null {
  if (size.width <= 0 || size.height <= 0) return null
  const clamped = samples.map((p) => ({
    x: Math.min(Math.max(p.x, 0), size.width),
    y: Math.min(Math.max(p.y, 0), size.height),
  }))
  let tolerance = tolerancePx
  let simple = simplify(clamped, tolerance)
  while (simple.length > MAX_INK_POINTS) {
    tolerance *= 2
    simple = simplify(clamped, tolerance)
  }
  const points: [number, number][] = []
  for (const p of simple) {
    const n = toNormalized(p, size)
    const prev = points[points.length - 1]
    if (prev && prev[0] === n.x && prev[1] === n.y) continue
    points.push([n.x, n.y])
  }
  return points.length >= 2 ? { points } : null
}

export function isRect(g: Geometry): g is RectGeometry {
  return 'w' in g && 'h' in g
}

export function isInk(g: Geometry): g is InkGeometry {
  return 'points' in g && Array.isArray(g.points)
}

export function isPoint(g: Geometry): g is PointGeometry {
  return !isRect(g) && !isInk(g) && 'x' in g && 'y' in g
}

/** Moves a geometry by (dx, dy) normalised units, keeping it whole on the page. */
export function translate(geometry: Geometry, dx: number, dy: number): Geometry {
  if (isRect(geometry)) {
    const x = Math.min(Math.max(geometry.x + dx, 0), 1 - geometry.w)
    const y = Math.min(Math.max(geometry.y + dy, 0), 1 - geometry.h)
    return { x: round6(x), y: round6(y), w: geometry.w, h: geometry.h }
  }
  if (isInk(geometry)) {
    const xs = geometry.points.map((p) => p[0])
    const ys = geometry.points.map((p) => p[1])
    const ddx = Math.min(Math.max(dx, -Math.min(...xs)), 1 - Math.max(...xs))
    const ddy = Math.min(Math.max(dy, -Math.min(...ys)), 1 - Math.max(...ys))
    return { points: geometry.points.map(([x, y]) => [round6(clamp01(x + ddx)), round6(clamp01(y + ddy))]) }
  }
  return { x: round6(clamp01(geometry.x + dx)), y: round6(clamp01(geometry.y + dy)) }
}

/** Approximate box of a text comment in display pixels (for hit testing and the selection frame). */
export function textBox(annotation: Pick<Annotation, 'geometry' | 'text'>, size: Size): { x: number; y: number; w: number; h: number } {
  const g = annotation.geometry as PointGeometry
  const font = TEXT_SIZE * size.width
  const lines = (annotation.text ?? '').split('\n')
  const longest = Math.max(1, ...lines.map((l) => l.length))
  return { x: g.x * size.width, y: g.y * size.height, w: longest * font * 0.55 + font * 0.6, h: lines.length * font * 1.3 + font * 0.3 }
}

/** Bounding box of any annotation in display pixels. */
export function boundingBox(annotation: Pick<Annotation, 'type' | 'geometry' | 'text'>, size: Size): { x: number; y: number; w: number; h: number } {
  const g = annotation.geometry
  if (annotation.type === 'text') return textBox(annotation, size)
  if (isRect(g)) return rectToDisplay(g, size)
  if (isInk(g)) {
    const xs = g.points.map((p) => p[0] * size.width)
    const ys = g.points.map((p) => p[1] * size.height)
    const x = Math.min(...xs)
    const y = Math.min(...ys)
    return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y }
  }
  const half = (MARK_SIZE * size.width) / 2
  const p = g as PointGeometry
  return { x: p.x * size.width - half, y: p.y * size.height - half, w: half * 2, h: half * 2 }
}

/**
 * The annotation under a point (display pixels), topmost first (the last
 * drawn wins); null when none is within `tolerancePx`.
 */
export function hitTest<A extends Pick<Annotation, 'type' | 'geometry' | 'text'>>(
  annotations: readonly A[],
  point: Point,
  size: Size,
  tolerancePx = 6,
): A | null {
  for (let i = annotations.length - 1; i >= 0; i--) {
    const a = annotations[i]!
    const g = a.geometry
    if (isInk(g)) {
      const pts = g.points.map(([x, y]) => ({ x: x * size.width, y: y * size.height }))
      for (let k = 1; k < pts.length; k++) {
        if (distanceToSegment(point, pts[k - 1]!, pts[k]!) <= tolerancePx) return a
      }
      continue
    }
    const box = boundingBox(a, size)
    if (
      point.x >= box.x - tolerancePx &&
      point.x <= box.x + box.w + tolerancePx &&
      point.y >= box.y - tolerancePx &&
      point.y <= box.y + box.h + tolerancePx
    ) {
      return a
    }
  }
  return null
}

/** Display size of a page shown `width` pixels wide, keeping its aspect ratio. */
export function fitSize(page: Size, width: number): Size {
  if (page.width <= 0 || page.height <= 0 || width <= 0) return { width: Math.max(0, width), height: Math.max(0, width * 1.414) }
  return { width: Math.round(width), height: Math.round((width * page.height) / page.width) }
}
