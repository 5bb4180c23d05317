import { describe, expect, it } from 'vitest'
import { adjustmentProblem, appliedItems, pointsLabel, pointsProblem, questionScore, toggleItem, type ScoredItem } from '../src/lib/rubric'
import { boxFromCorners, leafQuestions, regionValid } from '../src/composables/questions/regions'
import { neighbourToGrade } from '../src/composables/questions/nextUngraded'
import { questionKeyAction } from '../src/composables/questions/useQuestionKeyboard'
import { flattenScheme } from '../src/lib/scoring'
import type { QuestionCopy } from '../src/api/questions'

const items: ScoredItem[] = [
  { id: 'full', kind: 'absolute', points: 4 },
  { id: 'half', kind: 'absolute', points: 2 },
  { id: 'bonus', kind: 'delta', points: 1 },
  { id: 'sign', kind: 'delta', points: -0.5 },
]
const apply = (...ids: string[]) => appliedItems(items, ids)

describe('the score rule (mirrors chalicelib/domain/rubric.py)', () => {
  it('adds the deltas to the one absolute item and the adjustment', () => {
    expect(questionScore(apply('half', 'bonus', 'sign'), 0, 4)).toBe(2.5)
    expect(questionScore(apply('bonus'), 0.25, 4)).toBe(1.25)
    expect(questionScore([], 0, 4)).toBe(0)
  })

  it('clamps to 0 … max', () => {
    expect(questionScore(apply('full', 'bonus'), 0, 4)).toBe(4)
    expect(questionScore(apply('sign'), -1, 4)).toBe(0)
  })

  it('goes down to the quarter point when a leaf worth 1.4 makes an off-step sum, but keeps the full marks', () => {
    expect(questionScore([{ kind: 'delta', points: 1.4 }], 0, 1.4)).toBe(1.4)
    expect(questionScore([{ kind: 'delta', points: 1.4 }], -0.25, 1.4)).toBe(1)
  })

  it('applies and removes an item; another absolute item replaces the applied one', () => {
    expect(toggleItem(items, [], 'bonus')).toEqual(['bonus'])
    expect(toggleItem(items, ['bonus'], 'bonus')).toEqual([])
    expect(toggleItem(items, ['full', 'bonus'], 'half')).toEqual(['bonus', 'half'])
    expect(toggleItem(items, ['bonus'], 'unknown')).toEqual(['bonus'])
  })

  it('checks an item’s points and an adjustment like the server', () => {
    expect(pointsProblem('delta', -0.5, 4)).toBeNull()
    expect(pointsProblem('delta', -5, 4)).toBe('deltaRange')
    expect(pointsProblem('absolute', -1, 4)).toBe('absoluteRange')
    expect(pointsProblem('absolute', 0.3, 4)).toBe('step')
    expect(pointsProblem('absolute', 1.4, 1.4)).toBeNull()
    expect(pointsProblem('delta', null, 4)).toBe('number')
    expect(adjustmentProblem(-0.75, 4)).toBeNull()
    expect(adjustmentProblem(4.5, 4)).toBe('adjustmentRange')
    expect(adjustmentProblem(0.1, 4)).toBe('step')
  })

  it('labels points with their sign, or "=" for a fixed score', () => {
    const fmt = (n: number) => String(n).replace('.', ',')
    expect(pointsLabel('delta', 1.5, fmt)).toBe('+1,5')
    expect(pointsLabel('delta', -0.5, fmt)).toBe('−0,5')
    expect(pointsLabel('absolute', 3, fmt)).toBe('= 3')
  })
})

describe('question desk helpers', () => {
  const copy = (id: string, extra: Partial<QuestionCopy> = {}): QuestionCopy => ({
    copy_id: id,
    anonymous_id: id.toUpperCase(),
    status: 'READY',
    score: null,
    complete: false,
    lock: null,
    ...extra,
  })

  it('goes to the next copy still to grade, skipping scored, finalised and held copies, wrapping around', () => {
    const list = [
      copy('a'),
      copy('b', { complete: true, score: 2 }),
      copy('c', { lock: { holder_name: 'Bob', mine: false } }),
      copy('d', { status: 'GRADED' }),
      copy('e', { lock: { holder_name: 'me', mine: true } }),
    ]
    expect(neighbourToGrade(list, 'a')?.copy_id).toBe('e')
    expect(neighbourToGrade(list, 'e')?.copy_id).toBe('a')
    expect(neighbourToGrade(list, 'a', -1)?.copy_id).toBe('e')
    expect(neighbourToGrade(list, null)?.copy_id).toBe('a')
    expect(neighbourToGrade([copy('a')], 'a')).toBeNull()
  })

  it('turns keys into desk actions, never while typing except Ctrl/⌘+Enter and Esc', () => {
    const input = document.createElement('input')
    const body = document.body
    const key = (k: string, target: EventTarget = body, mods: Partial<KeyboardEvent> = {}) =>
      questionKeyAction({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, target, ...mods })
    expect(key('3')).toEqual({ kind: 'digit', n: 3 })
    expect(key('0')).toBeNull()
    expect(key('3', input)).toBeNull()
    expect(key('Enter', input, { ctrlKey: true })).toEqual({ kind: 'validate' })
    expect(key('Enter', body, { metaKey: true })).toEqual({ kind: 'validate' })
    expect(key('ArrowRight')).toEqual({ kind: 'move', delta: 1 })
    expect(key('ArrowLeft')).toEqual({ kind: 'move', delta: -1 })
    expect(key('Escape', input)).toEqual({ kind: 'blur' })
    expect(key('1', body, { ctrlKey: true })).toBeNull()
  })

  it('labels each leaf with its parents and draws boxes in 0 … 1 of the page', () => {
    const rows = flattenScheme([
      { id: 'ex1', label: 'Exercice 1', points: 5, children: [
        { id: 'a', label: 'a', points: 2, children: [] },
        { id: 'b', label: 'b', points: 3, children: [] },
      ] },
      { id: 'ex2', label: 'Exercice 2', points: 4, children: [] },
    ])
    expect(leafQuestions(rows)).toEqual([
      { id: 'a', label: 'Exercice 1 › a', max: 2 },
      { id: 'b', label: 'Exercice 1 › b', max: 3 },
      { id: 'ex2', label: 'Exercice 2', max: 4 },
    ])
    expect(boxFromCorners(1, { x: 0.8, y: 0.6 }, { x: 0.1, y: 1.2 })).toEqual({ page: 1, x: 0.1, y: 0.6, w: 0.7, h: 0.4 })
    expect(regionValid({ page: 1, x: 0.1, y: 0.6, w: 0.7, h: 0.4 }, 2)).toBe(true)
    expect(regionValid({ page: 2, x: 0, y: 0, w: 1, h: 1 }, 2)).toBe(false)
    expect(regionValid({ page: 0, x: 0.5, y: 0, w: 0.6, h: 1 }, 2)).toBe(false)
    expect(regionValid({ page: 0, x: 0, y: 0, w: 0, h: 1 }, 2)).toBe(false)
  })
})
