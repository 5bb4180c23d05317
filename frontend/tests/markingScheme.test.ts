import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resetClientState, setCsrfToken } from '../src/api/client'
import type { SchemeNode } from '../src/api/exams'
import {
  addChild,
  findErrorKey,
  flatten,
  fromServer,
  grandTotal,
  moveAt,
  newNode,
  nodeTotal,
  parsePoints,
  removeAt,
  toPayload,
  validate,
} from '../src/lib/markingScheme'
import { json, mockFetch } from './helpers'
import { allByTestId, byTestId, examFixture, flush, mountAt, typeInto, type Mounted } from './mount'

const SERVER_NODES: SchemeNode[] = [
  {
    id: 'ex-1',
    label: 'Exercise 1',
    points: 7.5,
    children: [
      { id: 'q-1', label: 'Question 1', points: 3, children: [] },
      {
        id: 'q-2',
        label: 'Question 2',
        points: 4.5,
        children: [
          { id: 'q-2a', label: 'a)', points: 2, children: [] },
          { id: 'q-2b', label: 'b)', points: 2.5, children: [] },
        ],
      },
    ],
  },
  { id: 'ex-2', label: 'Exercise 2', points: 12.5, children: [] },
]

describe('marking-scheme model', () => {
  it('derives the parents’ totals and the grand total from the leaves', () => {
    const tree = fromServer(SERVER_NODES)
    expect(tree[0]!.points).toBe('') // a parent has no points of its own
    expect(tree[1]!.points).toBe('12.5')
    expect(nodeTotal(tree[0]!)).toBe(7.5)
    expect(nodeTotal(tree[0]!.children[1]!)).toBe(4.5)
    expect(grandTotal(tree)).toBe(20)

    tree[0]!.children[1]!.children[0]!.points = '2,25' // French decimal comma
    expect(nodeTotal(tree[0]!)).toBe(7.75)
    expect(grandTotal(tree)).toBe(20.25)

    // Binary noise does not show: 0.1 + 0.2 = 0.3.
    const t = [newNode('A', '0.1'), newNode('B', '0.2')]
    expect(grandTotal(t)).toBe(0.3)
  })

  it('serialises leaves with points and parents with children only, keeping the stable ids', () => {
    const tree = fromServer(SERVER_NODES)
    tree.push(newNode('Bonus', '1'))
    expect(toPayload(tree)).toEqual([
      {
        id: 'ex-1',
        label: 'Exercise 1',
        children: [
          { id: 'q-1', label: 'Question 1', points: 3 },
          {
            id: 'q-2',
            label: 'Question 2',
            children: [
              { id: 'q-2a', label: 'a)', points: 2 },
              { id: 'q-2b', label: 'b)', points: 2.5 },
            ],
          },
        ],
      },
      { id: 'ex-2', label: 'Exercise 2', points: 12.5 },
      { label: 'Bonus', points: 1 },
    ])
    const parents = toPayload(tree).filter((n) => n.children)
    expect(parents.every((n) => !('points' in n))).toBe(true)
  })

  it('parses points strictly', () => {
    expect(parsePoints('2')).toBe(2)
    expect(parsePoints(' 1,5 ')).toBe(1.5)
    expect(parsePoints('.5')).toBe(0.5)
    expect(parsePoints('-1')).toBeNull()
    expect(parsePoints('2 pts')).toBeNull()
    expect(parsePoints('')).toBeNull()
  })

  it('hands a leaf’s points to its first child, and back when the last child goes', () => {
    const ex = newNode('Exercise 1', '5')
    const child = addChild(ex, 1)!
    expect(child.points).toBe('5')
    expect(ex.points).toBe('')
    expect(nodeTotal(ex)).toBe(5)
    child.points = '6'
    removeAt(ex.children, 0, ex)
    expect(ex.children).toHaveLength(0)
    expect(ex.points).toBe('6')
  })

  it('limits the depth to 4 levels', () => {
    const a = newNode('1', '1')
    const b = addChild(a, 1)!
    const c = addChild(b, 2)!
    const d = addChild(c, 3)!
    expect(d).not.toBeNull()
    expect(addChild(d, 4)).toBeNull()
  })

  it('moves siblings up and down, not past the ends', () => {
    const list = [newNode('A'), newNode('B'), newNode('C')]
    expect(moveAt(list, 0, -1)).toBe(false)
    expect(moveAt(list, 2, 1)).toBe(false)
    expect(moveAt(list, 2, -1)).toBe(true)
    expect(list.map((n) => n.label)).toEqual(['A', 'C', 'B'])
  })

  it('flags empty labels and bad points', () => {
    const tree = [newNode('', '2'), newNode('B', 'x'), newNode('C', '0'), newNode('D', '')]
    const errors = validate(tree)
    expect([...errors.values()]).toEqual([
      'Enter a label.',
      'Points must be a number, e.g. 2 or 1.5.',
      'Points must be more than 0.',
      'Enter the points of this question.',
    ])
  })

  it('accepts leaf points with up to two decimals (1.4, 0.3), as the server does', () => {
    const tree = [newNode('A', '1,4'), newNode('B', '0.3'), newNode('C', '1.40'), newNode('D', '1.005'), newNode('E', '1001')]
    const errors = validate(tree)
    expect(errors.has(tree[0]!.key) || errors.has(tree[1]!.key) || errors.has(tree[2]!.key)).toBe(false)
    expect(errors.get(tree[3]!.key)).toBe('Points allow at most two decimals, e.g. 1.25.')
    expect(errors.get(tree[4]!.key)).toBe('At most 1000 points.')
  })

  it('finds the node a server error names, by id first, then by path', () => {
    const tree = fromServer(SERVER_NODES)
    const q2b = tree[0]!.children[1]!.children[1]!
    expect(findErrorKey(tree, { nodeId: 'q-2b', path: null })).toBe(q2b.key)
    expect(findErrorKey(tree, { nodeId: null, path: '1.2.2' })).toBe(q2b.key)
    expect(findErrorKey(tree, { nodeId: 'nope', path: '9' })).toBeNull()
    expect(flatten(tree).map((r) => r.path)).toEqual(['1', '1.1', '1.2', '1.2.1', '1.2.2', '2'])
  })
})

describe('marking-scheme editor', () => {
  let view: Mounted | null = null

  beforeEach(() => {
    resetClientState()
    setCsrfToken('tok')
    vi.stubGlobal('scrollTo', vi.fn())
  })

  afterEach(() => {
    view?.unmount()
    view = null
    resetClientState()
  })

  const node = (path: string): HTMLElement => {
    const el = view!.root.querySelector<HTMLElement>(`[data-testid="scheme-node"][data-path="${path}"]`)
    if (!el) throw new Error(`no node ${path}`)
    return el
  }

  it('shows live totals, and PUTs leaves with points and parents without', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ marking_scheme: { nodes: SERVER_NODES }, max_points: 20 })),
      'PUT /api/exams/ex1/marking-scheme': (call) => {
        const nodes = (call.body as { nodes: unknown[] }).nodes
        // The server answers with ids for the new nodes.
        return json(200, {
          nodes: [
            ...SERVER_NODES.slice(0, 1),
            {
              id: 'ex-2',
              label: 'Exercise 2',
              points: 12.5,
              children: [{ id: 'new-1', label: 'Question 1', points: 12.5, children: [] }],
            },
          ],
          max_points: 20,
          _echo: nodes,
        })
      },
    })
    view = await mountAt('/admin/exams/ex1/scheme')
    await vi.waitFor(() => byTestId(view!.root, 'scheme-total'))

    expect(byTestId(view.root, 'scheme-total').textContent).toBe('20')
    expect(allByTestId(view.root, 'scheme-node').map((n) => n.dataset.path)).toEqual(['1', '1.1', '1.2', '1.2.1', '1.2.2', '2'])
    // Points inputs only on leaves.
    expect(node('1').querySelector('[data-testid="scheme-node-points"]')).toBeNull()
    expect(byTestId(node('1'), 'scheme-node-total').textContent).toBe('7.5')

    // Editing a leaf updates its parents and the grand total at once.
    typeInto(byTestId<HTMLInputElement>(node('1.2.1'), 'scheme-node-points'), '3')
    await flush()
    expect(byTestId(node('1.2'), 'scheme-node-total').textContent).toBe('5.5')
    expect(byTestId(node('1'), 'scheme-node-total').textContent).toBe('8.5')
    expect(byTestId(view.root, 'scheme-total').textContent).toBe('21')
    typeInto(byTestId<HTMLInputElement>(node('1.2.1'), 'scheme-node-points'), '2')

    // Exercise 2 becomes a parent: its points move to its new first question.
    byTestId<HTMLButtonElement>(node('2'), 'scheme-node-add-child').click()
    await flush()
    expect(byTestId<HTMLInputElement>(node('2.1'), 'scheme-node-points').value).toBe('12.5')
    expect(node('2').querySelector('[data-testid="scheme-node-points"]')).toBeNull()
    expect(document.activeElement).toBe(byTestId(node('2.1'), 'scheme-node-label'))

    byTestId<HTMLButtonElement>(view.root, 'scheme-save').click()
    await vi.waitFor(() => expect(byTestId(view!.root, 'scheme-status').textContent).toContain('saved'))

    const put = calls.find((c) => c.method === 'PUT')!
    expect(put.headers.get('X-CSRF-Token')).toBe('tok')
    expect(put.body).toEqual({
      nodes: [
        {
          id: 'ex-1',
          label: 'Exercise 1',
          children: [
            { id: 'q-1', label: 'Question 1', points: 3 },
            {
              id: 'q-2',
              label: 'Question 2',
              children: [
                { id: 'q-2a', label: 'a)', points: 2 },
                { id: 'q-2b', label: 'b)', points: 2.5 },
              ],
            },
          ],
        },
        { id: 'ex-2', label: 'Exercise 2', children: [{ label: 'Question 1', points: 12.5 }] },
      ],
    })
    // The ids given by the server are kept for the next save.
    expect(node('2.1').dataset.nodeId).toBe('new-1')
  })

  it('shows a server error next to the node it names', async () => {
    mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ marking_scheme: { nodes: SERVER_NODES } })),
      'PUT /api/exams/ex1/marking-scheme': json(422, {
        error: { code: 'invalid_scheme', message: 'Points must be a multiple of 0.25.' },
        path: '1.2.2',
      }),
    })
    view = await mountAt('/admin/exams/ex1/scheme')
    await vi.waitFor(() => byTestId(view!.root, 'scheme-save'))
    byTestId<HTMLButtonElement>(view.root, 'scheme-save').click()
    await vi.waitFor(() => expect(byTestId(view!.root, 'scheme-status').textContent).toContain('Not saved'))

    expect(byTestId(node('1.2.2'), 'scheme-node-error').textContent).toBe('Points must be a multiple of 0.25.')
    expect(allByTestId(view.root, 'scheme-node-error')).toHaveLength(1)
    expect(byTestId(node('1.2.2'), 'scheme-node-label').getAttribute('aria-invalid')).toBe('true')
  })

  it('builds a scheme from nothing and refuses to save an incomplete one', async () => {
    const { calls } = mockFetch({ 'GET /api/exams/ex1': json(200, examFixture()) })
    view = await mountAt('/admin/exams/ex1/scheme')
    await vi.waitFor(() => byTestId(view!.root, 'scheme-add-root'))
    expect(byTestId(view.root, 'scheme-total').textContent).toBe('0')

    byTestId<HTMLButtonElement>(view.root, 'scheme-add-root').click()
    await flush()
    expect(byTestId<HTMLInputElement>(node('1'), 'scheme-node-label').value).toBe('Exercise 1')
    byTestId<HTMLButtonElement>(view.root, 'scheme-save').click()
    await flush()
    expect(byTestId(node('1'), 'scheme-node-error').textContent).toBe('Enter the points of this question.')
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)

    typeInto(byTestId<HTMLInputElement>(node('1'), 'scheme-node-points'), '20')
    await flush()
    expect(node('1').querySelector('[data-testid="scheme-node-error"]')).toBeNull()
    expect(byTestId(view.root, 'scheme-total').textContent).toBe('20')

    byTestId<HTMLButtonElement>(node('1'), 'scheme-node-remove').click()
    await flush()
    expect(allByTestId(view.root, 'scheme-node')).toHaveLength(0)
    expect(document.activeElement).toBe(byTestId(view.root, 'scheme-add-root'))
  })
})

describe('the marking-scheme editor in French', () => {
  let view: Mounted | null = null

  beforeEach(() => {
    resetClientState()
    setCsrfToken('tok')
    vi.stubGlobal('scrollTo', vi.fn())
  })

  afterEach(() => {
    view?.unmount()
    view = null
    resetClientState()
  })

  it('shows comma decimals, reads "1,5" and "1.5" alike, and words its checks in French', async () => {
    const { calls } = mockFetch({
      'GET /api/exams/ex1': json(200, examFixture({ marking_scheme: { nodes: SERVER_NODES }, max_points: 20 })),
      'PUT /api/exams/ex1/marking-scheme': json(200, { nodes: SERVER_NODES, max_points: 20.5 }),
    })
    view = await mountAt('/admin/exams/ex1/scheme', 'fr')
    await vi.waitFor(() => byTestId(view!.root, 'scheme-total'))
    const node = (path: string) => view!.root.querySelector<HTMLElement>(`[data-testid="scheme-node"][data-path="${path}"]`)!
    expect(byTestId(node('1'), 'scheme-node-total').textContent).toBe('7,5')
    expect(byTestId<HTMLInputElement>(node('1.2.2'), 'scheme-node-points').value).toBe('2,5')
    expect(view.root.textContent).toContain('Barème')

    typeInto(byTestId<HTMLInputElement>(node('1.2.1'), 'scheme-node-points'), '1,5')
    typeInto(byTestId<HTMLInputElement>(node('1.1'), 'scheme-node-points'), '3.5')
    await flush()
    expect(byTestId(view.root, 'scheme-total').textContent).toBe('20')
    typeInto(byTestId<HTMLInputElement>(node('2'), 'scheme-node-points'), '1,255')
    byTestId<HTMLButtonElement>(view.root, 'scheme-save').click()
    await flush()
    expect(byTestId(node('2'), 'scheme-node-error').textContent).toBe('Deux décimales au plus, par exemple 1,25.')
    expect(byTestId(view.root, 'scheme-status').textContent).toContain('Non enregistré : corrigez d’abord l’élément signalé.')

    typeInto(byTestId<HTMLInputElement>(node('2'), 'scheme-node-points'), '13')
    byTestId<HTMLButtonElement>(view.root, 'scheme-save').click()
    await vi.waitFor(() => expect(byTestId(view!.root, 'scheme-status').textContent).toBe('Barème enregistré. Total : 20,5 points.'))
    const sent = (calls.find((c) => c.method === 'PUT')!.body as { nodes: { children?: { points?: number }[] }[] }).nodes
    expect(sent[0]!.children![0]!.points).toBe(3.5)

    byTestId<HTMLButtonElement>(view.root, 'scheme-add-root').click()
    await flush()
    expect(byTestId<HTMLInputElement>(node('3'), 'scheme-node-label').value).toBe('Exercice 3')
  })
})
