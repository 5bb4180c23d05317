/**
 * Draws annotations on the overlay canvas (Canvas 2D, no library).
 *
 * Sizes follow the page width so that what the teacher sees matches the
 * final PDF at any zoom: ticks and crosses are MARK_SIZE of the page width,
 * centred on their point; text is TEXT_SIZE of the page width, its top-left
 * corner on its point. Annotations carry no points (scores come from the score sheet).
 */
import type { Annotation, AnnotationType, Geometry } from '../api/grading'
import { boundingBox, isInk, isRect, MARK_SIZE, TEXT_SIZE, type Size } from './geometry'

export const COLORS = {
  ink: '#d11a2a',
  tick: '#12803c',
  selection: '#1e40af',
  textBg: 'rgba(255, 255, 255, 0.85)',
}

export interface Drawable {
  id?: Annotation['id']
  type: AnnotationType
  geometry: Geometry
  text?: string | null
}

export interface SceneOptions {
  selectedId?: Annotation['id'] | null
  /** The shape being drawn (rectangle drag, ink stroke): dashed / lighter. */
  preview?: Drawable | null
}

function lineWidth(size: Size): number {
  return Math.max(2, size.width * 0.0025)
}

function drawOne(ctx: CanvasRenderingContext2D, a: Drawable, size: Size): void {
  const g = a.geometry
  const lw = lineWidth(size)
  ctx.lineWidth = lw
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  ctx.strokeStyle = COLORS.ink
  ctx.fillStyle = COLORS.ink
  switch (a.type) {
    case 'rect':
      if (isRect(g)) ctx.strokeRect(g.x * size.width, g.y * size.height, g.w * size.width, g.h * size.height)
      break
    case 'ink':
      if (isInk(g) && g.points.length > 0) {
        ctx.beginPath()
        g.points.forEach(([x, y], i) => {
          if (i === 0) ctx.moveTo(x * size.width, y * size.height)
          else ctx.lineTo(x * size.width, y * size.height)
        })
        ctx.stroke()
      }
      break
    case 'tick': {
      const p = g as { x: number; y: number }
      const s = MARK_SIZE * size.width
      const cx = p.x * size.width
      const cy = p.y * size.height
      ctx.strokeStyle = COLORS.tick
      ctx.lineWidth = lw * 1.4
      ctx.beginPath()
      ctx.moveTo(cx - s / 2, cy)
      ctx.lineTo(cx - s / 8, cy + s / 2.5)
      ctx.lineTo(cx + s / 2, cy - s / 2)
      ctx.stroke()
      break
    }
    case 'cross': {
      const p = g as { x: number; y: number }
      const h = (MARK_SIZE * size.width) / 2
      const cx = p.x * size.width
      const cy = p.y * size.height
      ctx.lineWidth = lw * 1.4
      ctx.beginPath()
      ctx.moveTo(cx - h, cy - h)
      ctx.lineTo(cx + h, cy + h)
      ctx.moveTo(cx + h, cy - h)
      ctx.lineTo(cx - h, cy + h)
      ctx.stroke()
      break
    }
    case 'text': {
      const box = boundingBox(a, size)
      const font = TEXT_SIZE * size.width
      ctx.fillStyle = COLORS.textBg
      ctx.fillRect(box.x, box.y, box.w, box.h)
      ctx.fillStyle = COLORS.ink
      ctx.font = `${font}px system-ui, sans-serif`
      ctx.textBaseline = 'top'
      ;(a.text ?? '').split('\n').forEach((line, i) => {
        ctx.fillText(line, box.x + font * 0.3, box.y + font * 0.3 + i * font * 1.3)
      })
      break
    }
  }
}

/** Clears the canvas and draws everything (size in CSS pixels; the context is already scaled). */
export function drawScene(ctx: CanvasRenderingContext2D, size: Size, annotations: readonly Drawable[], options: SceneOptions = {}): void {
  ctx.clearRect(0, 0, size.width, size.height)
  for (const a of annotations) drawOne(ctx, a, size)
  const selected = options.selectedId != null ? annotations.find((a) => String(a.id) === String(options.selectedId)) : null
  if (selected) {
    const box = boundingBox(selected, size)
    ctx.save()
    ctx.setLineDash([6, 4])
    ctx.lineWidth = 1.5
    ctx.strokeStyle = COLORS.selection
    ctx.strokeRect(box.x - 5, box.y - 5, box.w + 10, box.h + 10)
    ctx.restore()
  }
  if (options.preview) {
    ctx.save()
    ctx.globalAlpha = 0.7
    if (options.preview.type === 'rect') ctx.setLineDash([8, 5])
    drawOne(ctx, options.preview, size)
    ctx.restore()
  }
}
