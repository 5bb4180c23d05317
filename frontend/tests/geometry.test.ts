import { describe, expect, it } from 'vitest'
import type { Annotation } from '../src/api/grading'
import {
  clamp01,
  fitSize,
  hitTest,
  inkFromStroke,
  MAX_INK_POINTS,
  rectFromDrag,
  simplify,
  toDisplay,
  toNormalized,
  translate,
} from '../src/lib/geometry'

const SIZE = { width: 800, height: 1131 }

function ann(id: string, type: Annotation['type'], geometry: Annotation['geometry'], text?: string): Annotation {
  return { id, page_index: 0, type, geometry, text: text ?? null, version: 1 }
}

describe('normalised geometry', () => {
  it('converts display pixels to page units and back', () => {
    expect(toNormalized({ x: 400, y: 565.5 }, SIZE)).toEqual({ x: 0.5, y: 0.5 })
    expect(toNormalized({ x: 80, y: 113.1 }, SIZE)).toEqual({ x: 0.1, y: 0.1 })
    const p = toDisplay({ x: 0.25, y: 0.75 }, SIZE)
    expect(p.x).toBeCloseTo(200)
    expect(p.y).toBeCloseTo(848.25)
    // Round trip at another zoom: the same page point.
    const zoomed = { width: 1600, height: 2262 }
    const n = toNormalized(toDisplay({ x: 0.3, y: 0.6 }, zoomed), zoomed)
    expect(n.x).toBeCloseTo(0.3, 6)
    expect(n.y).toBeCloseTo(0.6, 6)
  })

  it('clamps to [0, 1] outside the page and rounds to 6 decimals', () => {
    expect(toNormalized({ x: -20, y: 5000 }, SIZE)).toEqual({ x: 0, y: 1 })
    expect(toNormalized({ x: 900, y: -1 }, SIZE)).toEqual({ x: 1, y: 0 })
    expect(clamp01(Number.NaN)).toBe(0)
    expect(clamp01(1.2)).toBe(1)
    const { x } = toNormalized({ x: 1, y: 0 }, { width: 3, height: 3 })
    expect(x).toBe(0.333333)
    expect(toNormalized({ x: 10, y: 10 }, { width: 0, height: 0 })).toEqual({ x: 0, y: 0 })
  })

  it('builds a rectangle from a drag in any direction, kept on the page', () => {
    expect(rectFromDrag({ x: 80, y: 113.1 }, { x: 400, y: 565.5 }, SIZE)).toEqual({ x: 0.1, y: 0.1, w: 0.4, h: 0.4 })
    // Dragged up-left: same rectangle.
    expect(rectFromDrag({ x: 400, y: 565.5 }, { x: 80, y: 113.1 }, SIZE)).toEqual({ x: 0.1, y: 0.1, w: 0.4, h: 0.4 })
    // Beyond the page: clamped, x + w ≤ 1.
    const r = rectFromDrag({ x: 600, y: 1000 }, { x: 2000, y: 3000 }, SIZE)!
    expect(r.x + r.w).toBeLessThanOrEqual(1)
    expect(r.y + r.h).toBeLessThanOrEqual(1)
    expect(r.x).toBe(0.75)
    // A click is not a rectangle.
    expect(rectFromDrag({ x: 100, y: 100 }, { x: 102, y: 101 }, SIZE)).toBeNull()
  })

  it('simplifies free-hand strokes and keeps them valid for the API', () => {
    const line = Array.from({ length: 100 }, (_, i) => ({ x: i * 4, y: i * 4 }))
    expect(simplify(line, 1)).toEqual([line[0], line[99]])
    const ink = inkFromStroke(line, SIZE)!
    expect(ink.points).toEqual([
      [0, 0],
      [0.495, 0.350133],
    ])
    // A wiggle keeps its corner.
    const v = inkFromStroke(
      [
        { x: 0, y: 0 },
        { x: 50, y: 50 },
        { x: 100, y: 0 },
      ],
      SIZE,
    )!
    expect(v.points).toHaveLength(3)
    // Outside the page → clamped into [0, 1].
    const out = inkFromStroke(
      [
        { x: -50, y: -50 },
        { x: 900, y: 2000 },
      ],
      SIZE,
    )!
    expect(out.points).toEqual([
      [0, 0],
      [1, 1],
    ])
    // A single point (a click) is not a stroke.
    expect(inkFromStroke([{ x: 5, y: 5 }], SIZE)).toBeNull()
    expect(
      inkFromStroke(
        [
          { x: 5, y: 5 },
          { x: 5, y: 5 },
        ],
        SIZE,
      ),
    ).toBeNull()
  })

  it('never sends more than the API maximum of ink points', () => {
    const noisy = Array.from({ length: 6000 }, (_, i) => ({ x: (i % 800) + (i % 2 ? 3 : -3), y: Math.floor(i / 800) * 100 + (i % 3) * 5 }))
    const ink = inkFromStroke(noisy, SIZE)!
    expect(ink.points.length).toBeGreaterThanOrEqual(2)
    expect(ink.points.length).toBeLessThanOrEqual(MAX_INK_POINTS)
    for (const [x, y] of ink.points) {
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThanOrEqual(1)
      expect(y).toBeGreaterThanOrEqual(0)
      expect(y).toBeLessThanOrEqual(1)
    }
  })

  it('moves shapes without leaving the page', () => {
    expect(translate({ x: 0.8, y: 0.1, w: 0.3, h: 0.2 }, 0.5, -0.5)).toEqual({ x: 0.7, y: 0, w: 0.3, h: 0.2 })
    expect(translate({ x: 0.95, y: 0.5 }, 0.1, 0)).toEqual({ x: 1, y: 0.5 })
    expect(
      translate(
        {
          points: [
            [0.1, 0.1],
            [0.9, 0.2],
          ],
        },
        0.5,
        0,
      ),
    ).toEqual({
      points: [
        [0.2, 0.1],
        [1, 0.2],
      ],
    })
  })

  it('finds the annotation under the pointer, topmost first', () => {
    const list = [
      ann('r', 'rect', { x: 0.1, y: 0.1, w: 0.5, h: 0.2 }),
      ann('t', 'tick', { x: 0.3, y: 0.2 }),
      ann('i', 'ink', {
        points: [
          [0.6, 0.6],
          [0.9, 0.6],
        ],
      }),
      ann('c', 'text', { x: 0.1, y: 0.8 }, 'Good'),
    ]
    expect(hitTest(list, toDisplay({ x: 0.3, y: 0.2 }, SIZE), SIZE)?.id).toBe('t')
    expect(hitTest(list, toDisplay({ x: 0.5, y: 0.25 }, SIZE), SIZE)?.id).toBe('r')
    expect(hitTest(list, toDisplay({ x: 0.75, y: 0.601 }, SIZE), SIZE)?.id).toBe('i')
    expect(hitTest(list, toDisplay({ x: 0.75, y: 0.7 }, SIZE), SIZE)).toBeNull()
    expect(hitTest(list, { x: 0.1 * 800 + 10, y: 0.8 * 1131 + 8 }, SIZE)?.id).toBe('c')
  })

  it('fits a page to a width, keeping its aspect ratio', () => {
    expect(fitSize({ width: 1240, height: 1754 }, 620)).toEqual({ width: 620, height: 877 })
    expect(fitSize({ width: 1000, height: 1414 }, 800)).toEqual({ width: 800, height: 1131 })
  })
})
