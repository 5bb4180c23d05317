/**
 * The API's error reasons in words: every reason the server's code can answer has a French
 * and an English sentence, both using the same values, and `errorMessage` shows it in the
 * interface's language (a form's invalid field named).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiError, errorMessage } from '../src/api/client'
import { setLocale } from '../src/i18n'
import catalogue from '../src/i18n/messages/errors'

const BACKEND = resolve(__dirname, '../../chalicelib')

function pythonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === '__pycache__' ? [] : pythonFiles(path)
    return name.endsWith('.py') ? [path] : []
  })
}

/** `reason="…"` / `stale_reason="…"` (either branch of a conditional too) in the backend's sources. */
function reasonsInBackend(): Set<string> {
  const found = new Set<string>()
  for (const file of pythonFiles(BACKEND)) {
    const source = readFileSync(file, 'utf-8')
    for (const match of source.matchAll(/\b(?:stale_)?reason=("[a-z0-9_]+"(?:\s+if\s[^\n]*?\selse\s+"[a-z0-9_]+")?)/g)) {
      for (const literal of match[1]!.matchAll(/"([a-z0-9_]+)"/g)) found.add(literal[1]!)
    }
  }
  // The validation path's table (chalicelib/web.py) and the password policy's (services/passwords.py).
  const web = readFileSync(join(BACKEND, 'web.py'), 'utf-8')
  for (const match of web.matchAll(/^\s+"\w+": \("([a-z0-9_]+)", \{/gm)) found.add(match[1]!)
  const policy = readFileSync(join(BACKEND, 'services/passwords.py'), 'utf-8')
  for (const match of policy.matchAll(/"(password_[a-z0-9_]+)"/g)) found.add(match[1]!)
  return found
}

/** Audit reasons share the keyword but are no errors (exam teacher removal). */
const NOT_ERRORS = new Set(['teacher_removed'])

const placeholders = (sentence: string) => [...sentence.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

function reasonError(status: number, code: string, reason: string, params: Record<string, unknown> = {}, message = ''): ApiError {
  return new ApiError(status, code, message, null, { error: { code, message, reason, params } })
}

describe('error reasons', () => {
  const fr = catalogue.fr.reason as Record<string, string>
  const en = catalogue.en.reason as Record<string, string>

  it('has a French and an English sentence for every reason the API uses', () => {
    const used = [...reasonsInBackend()].filter((reason) => !NOT_ERRORS.has(reason))
    expect(used.length).toBeGreaterThan(80)
    expect(used.filter((reason) => !(reason in fr))).toEqual([])
    expect(used.filter((reason) => !(reason in en))).toEqual([])
  })

  it('words each reason in both languages with the same values', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort())
    for (const reason of Object.keys(fr)) {
      expect(placeholders(fr[reason]!), reason).toEqual(placeholders(en[reason]!))
      expect(fr[reason], reason).not.toMatch(/'/) // the French apostrophe is ’
    }
  })

  it('names every body field in both languages', () => {
    expect(Object.keys(catalogue.fr.field).sort()).toEqual(Object.keys(catalogue.en.field).sort())
  })

  it('shows the sentence of a reason in French, with its values', () => {
    setLocale('fr')
    const held = reasonError(409, 'conflict', 'lock_held_by_other', { name: 'mdupont' }, 'This copy is being graded by mdupont.')
    expect(errorMessage(held, 'Impossible d’ouvrir la copie.')).toBe('Cette copie est en cours de correction par mdupont.')
    expect(errorMessage(reasonError(409, 'conflict', 'lock_expired'))).toBe('Votre verrou a expiré : rouvrez la copie.')
    expect(errorMessage(reasonError(400, 'bad_request', 'students_not_on_roster', { n: 3 }))).toBe(
      '3 élèves ne sont pas inscrits à cet examen.',
    )
    expect(errorMessage(reasonError(400, 'bad_request', 'students_not_on_roster', { n: 1 }))).toBe(
      '1 élève n’est pas inscrit à cet examen.',
    )
  })

  it('names the invalid field of a form in French, by its French name', () => {
    setLocale('fr')
    expect(errorMessage(reasonError(400, 'bad_request', 'field_required', { field: 'name' }))).toBe(
      'Le champ « nom » est obligatoire.',
    )
    expect(errorMessage(reasonError(400, 'bad_request', 'too_long', { field: 'name', max: 200 }))).toBe(
      'Le champ « nom » contient au plus 200 caractères.',
    )
    expect(errorMessage(reasonError(400, 'validation_error', 'password_too_short', { min: 12, max: 256 }))).toBe(
      'Le mot de passe doit contenir au moins 12 caractères.',
    )
  })

  it('keeps the server’s English sentence in English', () => {
    setLocale('en')
    const taken = reasonError(409, 'conflict', 'username_taken', {}, 'That username or e-mail is already in use.')
    expect(errorMessage(taken, 'Could not create the account.')).toBe('That username or e-mail is already in use.')
  })

  it('falls back to the code’s meaning for a reason it does not know', () => {
    setLocale('fr')
    expect(errorMessage(reasonError(404, 'not_found', 'some_future_reason'), 'Chargement impossible.')).toBe(
      'Chargement impossible. Introuvable.',
    )
  })
})
