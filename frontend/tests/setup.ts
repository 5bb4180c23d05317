/**
 * Every test starts in English, the language most of these tests' texts were written
 * in; a test of the French screens calls `setLocale('fr')` (or `mountAt(path, 'fr')`).
 */
import { beforeEach } from 'vitest'
import { setLocale } from '../src/i18n'

beforeEach(() => setLocale('en'))
