import { vi, type Mock } from 'vitest'

export interface Call {
  method: string
  url: string
  headers: Headers
  body: unknown
  credentials: RequestCredentials | undefined
}

export type Responder = (call: Call) => Response | Promise<Response>

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

export function empty(status = 204): Response {
  return new Response(null, { status })
}

export function apiError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code, message } }, headers)
}

/** JSON bodies are parsed for easy assertions; other text (CSV…) stays as it is. */
function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/**
 * Replaces global fetch with a mock that records every call and answers with
 * the responder for "METHOD /path" (query string ignored for the lookup).
 */
export function mockFetch(routes: Record<string, Responder | Response>): { calls: Call[]; fetch: Mock } {
  const calls: Call[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const method = (init.method ?? 'GET').toUpperCase()
    const rawBody = init.body
    const call: Call = {
      method,
      url,
      headers: new Headers(init.headers),
      body: typeof rawBody === 'string' ? parseMaybeJson(rawBody) : rawBody,
      credentials: init.credentials,
    }
    calls.push(call)
    const key = `${method} ${url.split('?')[0]}`
    const route = routes[key]
    if (route === undefined) throw new Error(`Unexpected fetch: ${key}`)
    return route instanceof Response ? route.clone() : route(call)
  })
  vi.stubGlobal('fetch', fetchMock)
  return { calls, fetch: fetchMock }
}

export const staffAdmin = {
  id: 1,
  username: 'alice',
  email: 'alice@school.test',
  role: 'admin' as const,
  must_change_password: false,
  kind: 'staff' as const,
}

export const student = {
  id: 7,
  username: 'sam@school.test',
  email: 'sam@school.test',
  role: 'student' as const,
  must_change_password: false,
  kind: 'student' as const,
}
