/**
 * A random id for this browser tab, kept in sessionStorage (it survives a
 * reload of the tab, not a new tab). Sent as `client_id` with each draft
 * write so that the server can tell two windows apart.
 */
const KEY = 'korrigo:client-id'

let memory: string | null = null

function randomId(): string {
  const c = globalThis.crypto
  if (c && typeof c.randomUUID === 'function') return c.randomUUID()
  const bytes = new Uint8Array(16)
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes)
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export function tabClientId(): string {
  try {
    const stored = window.sessionStorage.getItem(KEY)
    if (stored) return stored
    const id = randomId()
    window.sessionStorage.setItem(KEY, id)
    return id
  } catch {
    // Storage unavailable: one id for the life of the page.
    memory ??= randomId()
    return memory
  }
}
