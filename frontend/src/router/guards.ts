import type { RouteLocationNormalized, RouteLocationRaw } from 'vue-router'
import type { Role } from '../api/client'
import { homePathFor, kindForPath, loginPathFor, type SessionUser } from '../stores/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** Page needs a signed-in user. */
    requiresAuth?: boolean
    /** Roles allowed on the page (implies requiresAuth). */
    roles?: Role[]
    /** Login pages: signed-in users are sent home. */
    guestOnly?: boolean
    /** The forced password change page. */
    passwordChange?: boolean
    /** Document title. */
    title?: string
    /** Full-width page (the grading desk). */
    wide?: boolean
  }
}

export const CHANGE_PASSWORD_PATH = '/change-password'

type Target = Pick<RouteLocationNormalized, 'path' | 'fullPath' | 'meta'>

/**
 * Decides where a navigation goes for a given user. Pure, so it can be tested
 * without a router. Returns true to allow, or the location to go to instead.
 */
export function decideNavigation(to: Target, user: SessionUser | null): true | RouteLocationRaw {
  const landing = (u: SessionUser): string => (u.must_change_password ? CHANGE_PASSWORD_PATH : homePathFor(u))

  if (to.path === '/') {
    return user ? landing(user) : loginPathFor('staff')
  }

  if (to.meta.guestOnly) {
    return user ? landing(user) : true
  }

  const needsAuth = to.meta.requiresAuth === true || (to.meta.roles?.length ?? 0) > 0 || to.meta.passwordChange === true
  if (!needsAuth) return true

  if (!user) {
    return { path: loginPathFor(kindForPath(to.path)), query: { next: to.fullPath } }
  }

  if (user.must_change_password && !to.meta.passwordChange) {
    return CHANGE_PASSWORD_PATH
  }

  const roles = to.meta.roles
  if (roles && roles.length > 0 && !roles.includes(user.role)) {
    return homePathFor(user)
  }

  return true
}
