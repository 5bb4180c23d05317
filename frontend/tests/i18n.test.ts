import { describe, expect, it } from 'vitest'
import { ApiError, errorMessage, rateLimitMessage } from '../src/api/client'
import { currentLocale, setLocale } from '../src/i18n'
import { formatBytes, formatPoints, parseDecimal, copyStatusLabel } from '../src/lib/format'

describe('the interface in French', () => {
  it('writes numbers with a decimal comma and reads both commas and dots', () => {
    setLocale('fr')
    expect(formatPoints(14.25)).toBe('14,25')
    expect(formatPoints(0.1 + 0.2)).toBe('0,3')
    expect(formatBytes(1536)).toBe('1,5 Ko')
    expect(parseDecimal('12,5')).toBe(12.5)
    expect(parseDecimal(' 12.5 ')).toBe(12.5)
    expect(parseDecimal('1,2,3')).toBeNull()
    expect(parseDecimal('')).toBeNull()
  })

  it('names statuses in plain words, never the raw code', () => {
    setLocale('fr')
    expect(copyStatusLabel('LOCKED')).toBe('En correction')
    setLocale('en')
    expect(copyStatusLabel('LOCKED')).toBe('Being graded')
  })

  it('treats 0 and 1 as singular and waits in words', () => {
    setLocale('fr')
    expect(rateLimitMessage(1)).toBe('Trop de tentatives. Réessayez dans 1 seconde')
    expect(rateLimitMessage(120)).toBe('Trop de tentatives. Réessayez dans 2 minutes')
  })

  it('turns an API error into a French sentence, the caller’s context first', () => {
    setLocale('fr')
    const conflict = new ApiError(409, 'conflict', 'That username is taken.', null, { error: { code: 'conflict' } })
    expect(errorMessage(conflict, 'Le compte n’a pas pu être créé.')).toBe(
      'Le compte n’a pas pu être créé. Les données ont changé entre-temps : rechargez la page et réessayez.',
    )
    setLocale('en')
    expect(errorMessage(conflict, 'Could not create the account.')).toBe('That username is taken.')
  })

  it('remembers the chosen language', () => {
    setLocale('fr')
    expect(localStorage.getItem('korrigo.locale')).toBe('fr')
    expect(document.documentElement.lang).toBe('fr')
    expect(currentLocale()).toBe('fr')
  })
})
