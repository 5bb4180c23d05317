import { describe, expect, it } from 'vitest'
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
  subtotal,
  unscoredLeaves,
} from '../src/lib/scoring'
import { SCHEME } from './gradingFixtures'

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
