import { describe, expect, it } from 'vitest'
import { createApp, h, nextTick, reactive } from 'vue'
import ScoreSidebar from '../src/components/grading/ScoreSidebar.vue'
import { i18n, setLocale } from '../src/i18n'
import {
  draftIsNewer,
  draftPayload,
  flattenScheme,
  formFrom,
  grandTotal,
  invalidLeaves,
  readDraftPayload,
  scoreError,
  scoresPayload,
  stepScore,
  subtotal,
  unscoredLeaves,
} from '../src/lib/scoring'
import { SCHEME } from './gradingFixtures'
import { press, typeInto } from './mount'

describe('score sheet', () => {
  const rows = flattenScheme(SCHEME)

  it('flattens the scheme depth first, with paths and derived maxima', () => {
    expect(rows.map((r) => [r.path, r.id, r.leaf, r.max])).toEqual([
      ['1', 'ex1', false, 8],
      ['1.1', 'q11', true, 3],
      ['1.2', 'q12', false, 5],
      ['1.2.1', 'q12a', true, 2],
      ['1.2.2', 'q12b', true, 3],
      ['2', 'ex2', true, 12],
    ])
    expect(rows.find((r) => r.id === 'ex1')!.leafIds).toEqual(['q11', 'q12a', 'q12b'])
  })

  it('sums subtotals and the grand total from valid scores only', () => {
    const form = { scores: { q11: '2,5', q12a: '2', q12b: '7', ex2: '10.75' }, remarks: {}, appreciation: '' }
    expect(subtotal(rows, form, rows.find((r) => r.id === 'q12')!.leafIds)).toBe(2) // b) is out of bounds
    expect(subtotal(rows, form, rows.find((r) => r.id === 'ex1')!.leafIds)).toBe(4.5)
    expect(grandTotal(rows, form)).toBe(15.25)
    expect(invalidLeaves(rows, form).map((r) => r.id)).toEqual(['q12b'])
    expect(unscoredLeaves(rows, form).map((r) => r.id)).toEqual(['q12b'])
    expect(unscoredLeaves(rows, { scores: {} }).map((r) => r.id)).toEqual(['q11', 'q12a', 'q12b', 'ex2'])
  })

  it('flags invalid scores inline', () => {
    expect(scoreError('', 3)).toBeNull()
    expect(scoreError('3', 3)).toBeNull()
    expect(scoreError('0', 3)).toBeNull()
    expect(scoreError('1,25', 3)).toBeNull()
    expect(scoreError('abc', 3)).toBe('Enter a number.')
    expect(scoreError('-1', 3)).toBe('The score cannot be negative.')
    expect(scoreError('3.5', 3)).toBe('At most 3.')
    expect(scoreError('1.3', 3)).toBe('Use quarter points (0.25, 0.5, 0.75).')
  })

  it('allows full marks on every leaf besides quarter points, exactly', () => {
    for (const max of [0.3, 1.1, 1.4, 0.01, 2.99]) expect(scoreError(String(max), max)).toBeNull()
    expect(scoreError('1,40', 1.4)).toBeNull()
    for (const text of ['0', '0.25', '0.5', '1', '1.25']) expect(scoreError(text, 1.4)).toBeNull()
    expect(scoreError('1.45', 1.4)).toBe('At most 1.4.')
    expect(scoreError('1.3', 1.4)).toBe('Use quarter points (0.25, 0.5, 0.75) or the full 1.4.')
    expect(scoreError('1.4000001', 1.4)).toBe('At most 1.4.')
    expect(scoreError('0.30000000000000004', 0.3)).toBe('At most 0.3.')
    expect(scoreError('1.0999999', 1.1)).toBe('Use quarter points (0.25, 0.5, 0.75) or the full 1.1.')
    const rows = flattenScheme([{ id: 'a', label: 'A', points: 1.4, children: [] }, { id: 'b', label: 'B', points: 0.3, children: [] }])
    const form = { scores: { a: '1.4', b: '0,3' }, remarks: {}, appreciation: '' }
    expect(scoresPayload(rows, form).scores).toEqual({ a: 1.4, b: 0.3 })
    expect(grandTotal(rows, form)).toBe(1.7)
    expect(unscoredLeaves(rows, form)).toEqual([])
  })

  it('steps ↑ / ↓ by quarter points within 0 … max, ↑ ending on the full marks', () => {
    expect(stepScore('1.25', 1.4, 1)).toBe(1.4)
    expect(stepScore('1.4', 1.4, 1)).toBe(1.4)
    expect(stepScore('1.4', 1.4, -1)).toBe(1.25)
    expect(stepScore('1.1', 3, -1)).toBe(1)
    expect(stepScore('1.1', 3, 1)).toBe(1.25)
    expect(stepScore('', 1.4, 1)).toBe(0)
    expect(stepScore('', 1.4, -1)).toBe(1.4)
    expect(stepScore('0', 0.3, -1)).toBe(0)
    expect(stepScore('0', 0.3, 1)).toBe(0.25)
    expect(stepScore('0.25', 0.3, 1)).toBe(0.3)
    expect(stepScore('7', 3, -1)).toBe(3)
  })

  it('builds the PUT /scores body and the draft payload', () => {
    const form = {
      scores: { q11: '1.5', q12a: 'x', q12b: '', ex2: '12' },
      remarks: { q11: 'Careful', q12a: '  ', ex2: '' },
      appreciation: 'Good work',
    }
    expect(scoresPayload(rows, form)).toEqual({ scores: { q11: 1.5, ex2: 12 }, remarks: { q11: 'Careful' }, appreciation: 'Good work' })
    expect(draftPayload(rows, form, 4)).toEqual({
      scores: { q11: 1.5, ex2: 12 },
      remarks: { q11: 'Careful' },
      appreciation: 'Good work',
      scores_version: 4,
    })
    const back = formFrom(rows, { scores: { q11: 1.5, ex2: 12, unknown: 3 }, remarks: { q11: 'Careful' }, appreciation: 'Good work' })
    expect(back).toEqual({
      scores: { q11: '1.5', q12a: '', q12b: '', ex2: '12' },
      remarks: { q11: 'Careful', q12a: '', q12b: '', ex2: '' },
      appreciation: 'Good work',
    })
  })

  it('restores a draft only when it is newer than the saved scores', () => {
    const payload = { scores: { q11: 2 }, remarks: {}, appreciation: '', scores_version: 3 }
    expect(draftIsNewer({ version: 5, payload }, 3)).toBe(true)
    expect(draftIsNewer({ version: 5, payload }, 4)).toBe(false)
    expect(draftIsNewer({ version: 0, payload: null }, 0)).toBe(false)
    // No marker: compare the versions.
    expect(draftIsNewer({ version: 5, payload: { scores: {} } }, 2)).toBe(true)
    expect(draftIsNewer({ version: 1, payload: { scores: {} } }, 2)).toBe(false)
    expect(readDraftPayload('nonsense')).toBeNull()
    expect(readDraftPayload({ scores: { a: 1, b: 'x' }, remarks: { a: 'ok', b: 3 } })).toEqual({
      scores: { a: 1 },
      remarks: { a: 'ok' },
      appreciation: '',
      scores_version: -1,
    })
  })
})

describe('score sidebar on leaves of 0.3, 1.1 and 1.4 points', () => {
  const rows = flattenScheme([
    { id: 'a', label: 'A', points: 0.3, children: [] },
    { id: 'b', label: 'B', points: 1.1, children: [] },
    { id: 'c', label: 'C', points: 1.4, children: [] },
  ])

  async function mountSidebar() {
    const form = reactive({ scores: {} as Record<string, string>, remarks: {}, appreciation: '' })
    const root = document.createElement('div')
    document.body.appendChild(root)
    const app = createApp({
      render: () =>
        h(ScoreSidebar, {
          rows,
          form,
          maxPoints: 2.8,
          readonly: false,
          serverErrors: {},
          onScore: (id: string, text: string) => (form.scores[id] = text),
        }),
    })
    setLocale('en')
    app.use(i18n).mount(root)
    await nextTick()
    const input = (id: string) => root.querySelector<HTMLInputElement>(`[data-testid="score-input"][data-node-id="${id}"]`)!
    const error = (id: string) => root.querySelector(`[data-testid="score-error"][data-node-id="${id}"]`)?.textContent?.trim() ?? null
    const total = () => root.querySelector('[data-testid="score-total"]')!.textContent
    return { input, error, total, unmount: () => (app.unmount(), root.remove()) }
  }

  it('takes full marks typed on every leaf, and refuses 1.45 on the 1.4 leaf', async () => {
    const desk = await mountSidebar()
    typeInto(desk.input('a'), '0,3')
    typeInto(desk.input('b'), '1.1')
    typeInto(desk.input('c'), '1.4')
    await nextTick()
    expect([desk.error('a'), desk.error('b'), desk.error('c')]).toEqual([null, null, null])
    expect(desk.total()).toBe('2.8 / 2.8')
    typeInto(desk.input('c'), '1.45')
    await nextTick()
    expect(desk.error('c')).toBe('At most 1.4.')
    typeInto(desk.input('c'), '1.3')
    await nextTick()
    expect(desk.error('c')).toContain('quarter points')
    desk.unmount()
  })

  it('↑ reaches full marks from the last quarter point, ↓ goes back to it', async () => {
    const desk = await mountSidebar()
    typeInto(desk.input('c'), '1')
    press(desk.input('c'), 'ArrowUp')
    await nextTick()
    expect(desk.input('c').value).toBe('1.25')
    press(desk.input('c'), 'ArrowUp')
    await nextTick()
    expect(desk.input('c').value).toBe('1.4')
    expect(desk.error('c')).toBeNull()
    press(desk.input('c'), 'ArrowDown')
    await nextTick()
    expect(desk.input('c').value).toBe('1.25')
    desk.unmount()
  })
})

describe('scores in French', () => {
  it('reads "12,5" and "12.5" alike and words the problems in French with comma decimals', () => {
    setLocale('fr')
    const rows = flattenScheme(SCHEME)
    const form = { scores: { q11: '2,5', q12a: '1.5', q12b: '', ex2: '10,25' }, remarks: {}, appreciation: '' }
    expect(grandTotal(rows, form)).toBe(14.25)
    expect(scoreError('abc', 3)).toBe('Saisissez un nombre.')
    expect(scoreError('3,5', 3)).toBe('Au plus 3.')
    expect(scoreError('1,3', 3)).toBe('Utilisez des quarts de point (0,25\u202f; 0,5\u202f; 0,75).')
    expect(scoreError('1,3', 1.4)).toBe('Utilisez des quarts de point (0,25\u202f; 0,5\u202f; 0,75) ou la note entière 1,4.')
    expect(formFrom(rows, { scores: { q12a: 1.5 } }).scores.q12a).toBe('1,5')
  })
})
