import { beforeEach, describe, expect, it } from 'vitest'
import type { RouteMeta } from 'vue-router'
import { decideNavigation } from '../src/router/guards'
import type { SessionUser } from '../src/stores/session'

const to = (path: string, meta: RouteMeta = {}, fullPath = path) => ({ path, fullPath, meta })

const admin: SessionUser = { id: 1, username: 'alice', email: 'a@x', role: 'admin', kind: 'staff', must_change_password: false }
const teacher: SessionUser = { ...admin, id: 2, username: 'tess', role: 'teacher' }
const pupil: SessionUser = { ...admin, id: 3, username: 's@x', role: 'student', kind: 'student' }

beforeEach(() => {
  localStorage.clear()
})

describe('decideNavigation', () => {
  it('sends / to the home of the role, or to /login', () => {
    expect(decideNavigation(to('/'), admin)).toBe('/admin')
    expect(decideNavigation(to('/'), teacher)).toBe('/teacher')
    expect(decideNavigation(to('/'), pupil)).toBe('/student')
    expect(decideNavigation(to('/'), null)).toBe('/login')
  })

  it('asks for sign-in on the right login page, keeping the path in next', () => {
    expect(decideNavigation(to('/admin/users', { roles: ['admin'] }, '/admin/users?x=1'), null)).toEqual({
      path: '/login',
      query: { next: '/admin/users?x=1' },
    })
    expect(decideNavigation(to('/student', { roles: ['student'] }), null)).toEqual({
      path: '/student/login',
      query: { next: '/student' },
    })
  })

  it('sends a wrong role to its own home', () => {
    expect(decideNavigation(to('/admin', { roles: ['admin'] }), teacher)).toBe('/teacher')
    expect(decideNavigation(to('/teacher', { roles: ['teacher'] }), pupil)).toBe('/student')
    expect(decideNavigation(to('/student', { roles: ['student'] }), admin)).toBe('/admin')
    expect(decideNavigation(to('/admin/users', { roles: ['admin'] }), admin)).toBe(true)
  })

  it('forces the password change everywhere until it is done', () => {
    const forced = { ...teacher, must_change_password: true }
    expect(decideNavigation(to('/teacher', { roles: ['teacher'] }), forced)).toBe('/change-password')
    expect(decideNavigation(to('/'), forced)).toBe('/change-password')
    expect(decideNavigation(to('/login', { guestOnly: true }), forced)).toBe('/change-password')
    expect(decideNavigation(to('/change-password', { requiresAuth: true, passwordChange: true }), forced)).toBe(true)
  })

  it('lets a signed-in user change the password voluntarily, and not a visitor', () => {
    const meta: RouteMeta = { requiresAuth: true, passwordChange: true }
    expect(decideNavigation(to('/change-password', meta), admin)).toBe(true)
    expect(decideNavigation(to('/change-password', meta), null)).toEqual({
      path: '/login',
      query: { next: '/change-password' },
    })
  })

  it('keeps signed-in users away from the login pages', () => {
    expect(decideNavigation(to('/login', { guestOnly: true }), admin)).toBe('/admin')
    expect(decideNavigation(to('/student/login', { guestOnly: true }), pupil)).toBe('/student')
    expect(decideNavigation(to('/student/login', { guestOnly: true }), null)).toBe(true)
  })
})

describe('login page for shared pages', () => {
  it('uses the kind of account last signed in on this browser', () => {
    const meta: RouteMeta = { requiresAuth: true, passwordChange: true }
    localStorage.setItem('korrigo:last-kind', 'student')
    expect(decideNavigation(to('/change-password', meta), null)).toEqual({
      path: '/student/login',
      query: { next: '/change-password' },
    })
    // Role-specific pages ignore it.
    expect(decideNavigation(to('/admin', { roles: ['admin'] }), null)).toMatchObject({ path: '/login' })
  })
})
