/**
 * Mounts the real app routes (without the sign-in guard) on a memory history,
 * so that a view runs exactly as in the app: inside the exam page, with its
 * `exam` prop and router hooks. No extra test library is needed.
 */
import { createApp, h, nextTick, type App } from 'vue'
import { createMemoryHistory, createRouter, RouterView, type Router } from 'vue-router'
import { routes } from '../src/router'
import { i18n, setLocale, type Locale } from '../src/i18n'

export interface Mounted {
  app: App
  router: Router
  root: HTMLElement
  unmount: () => void
}

/**
 * Mounts `path` in `locale` (English by default, the language these tests' texts were
 * written in; French screens are tested by passing 'fr').
 */
export async function mountAt(path: string, locale: Locale = 'en'): Promise<Mounted> {
  setLocale(locale)
  const root = document.createElement('div')
  document.body.appendChild(root)
  const router = createRouter({ history: createMemoryHistory(), routes })
  const app = createApp({ render: () => h(RouterView) })
  app.use(i18n).use(router)
  await router.push(path)
  await router.isReady()
  app.mount(root)
  await nextTick()
  return {
    app,
    router,
    root,
    unmount: () => {
      app.unmount()
      root.remove()
    },
  }
}

/** Lets pending promises (mocked fetch, lazy routes) and the re-render settle. */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((r) => queueMicrotask(r))
    await nextTick()
  }
}

export function byTestId<T extends Element = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`)
  if (!el) throw new Error(`No element with data-testid="${id}"`)
  return el
}

export function allByTestId<T extends Element = HTMLElement>(root: ParentNode, id: string): T[] {
  return Array.from(root.querySelectorAll<T>(`[data-testid="${id}"]`))
}

export function typeInto(input: HTMLInputElement, value: string): void {
  input.value = value
  input.dispatchEvent(new Event('input', { bubbles: true }))
}

export function press(target: Element, key: string): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })
  target.dispatchEvent(event)
  return event
}

/** Sets the files of an <input type="file"> and fires `change`. */
export function chooseFiles(input: HTMLInputElement, files: File[]): void {
  Object.defineProperty(input, 'files', { configurable: true, value: files })
  input.dispatchEvent(new Event('change', { bubbles: true }))
}

export function examFixture(overrides: Record<string, unknown> = {}) {
  return {
    id: 'ex1',
    name: 'Maths — June',
    subject: 'Mathematics',
    date: '2025-06-12',
    upload_mode: 'BATCH',
    pages_per_copy: 4,
    split_a3: false,
    marking_scheme: null,
    max_points: 20,
    teacher_ids: ['t1', 't2'],
    teachers: [
      { id: 't1', username: 'tess' },
      { id: 't2', username: 'tom' },
    ],
    released_at: null,
    copy_counts: { STAGING: 2 },
    created_at: '2025-06-01T10:00:00Z',
    ...overrides,
  }
}
