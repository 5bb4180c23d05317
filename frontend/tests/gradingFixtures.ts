import type { SchemeNode } from '../src/api/exams'

/** Exercise 1 (Q1 /3, Q2 a) /2 b) /3) and Exercise 2 /12: 20 points. */
export const SCHEME: SchemeNode[] = [
  {
    id: 'ex1',
    label: 'Exercise 1',
    points: 8,
    children: [
      { id: 'q11', label: 'Question 1', points: 3, children: [] },
      {
        id: 'q12',
        label: 'Question 2',
        points: 5,
        children: [
          { id: 'q12a', label: 'a)', points: 2, children: [] },
          { id: 'q12b', label: 'b)', points: 3, children: [] },
        ],
      },
    ],
  },
  { id: 'ex2', label: 'Exercise 2', points: 12, children: [] },
]

export function copyFixture(overrides: Record<string, unknown> = {}) {
  return {
    id: 'c1',
    exam_id: 'ex1',
    exam_name: 'Maths — June',
    anonymous_id: '7F3A-001',
    status: 'READY',
    page_count: 3,
    pages: [0, 1, 2].map((index) => ({ index, url: `/img/c1/${index}.jpg`, width: 1000, height: 1414 })),
    scheme: { nodes: SCHEME },
    max_points: 20,
    scores: { scores: {}, remarks: {}, appreciation: '', total: 0, version: 0 },
    annotations: [] as unknown[],
    lock: null,
    grading_error: null,
    grading_attempts: 0,
    final_pdf_available: false,
    ...overrides,
  }
}
