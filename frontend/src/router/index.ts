import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import { installAuthRedirect, loadMe, type SessionUser } from '../stores/session'
import { decideNavigation } from './guards'

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'root', component: { render: () => null } },
  {
    path: '/login',
    name: 'login',
    component: () => import('../views/StaffLoginView.vue'),
    meta: { guestOnly: true, title: 'Staff sign-in' },
  },
  {
    path: '/student/login',
    name: 'student-login',
    component: () => import('../views/StudentLoginView.vue'),
    meta: { guestOnly: true, title: 'Student sign-in' },
  },
  {
    path: '/',
    component: () => import('../layouts/AppLayout.vue'),
    children: [
      {
        path: 'change-password',
        name: 'change-password',
        component: () => import('../views/ChangePasswordView.vue'),
        meta: { requiresAuth: true, passwordChange: true, title: 'Change password' },
      },
      {
        path: 'admin',
        name: 'admin',
        component: () => import('../views/AdminDashboardView.vue'),
        meta: { roles: ['admin'], title: 'Admin dashboard' },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('../views/AdminUsersView.vue'),
        meta: { roles: ['admin'], title: 'Users' },
      },
      {
        path: 'admin/exams',
        name: 'admin-exams',
        component: () => import('../views/AdminExamsView.vue'),
        meta: { roles: ['admin'], title: 'Exams' },
      },
      {
        path: 'admin/audit',
        name: 'admin-audit',
        component: () => import('../views/AdminAuditView.vue'),
        meta: { roles: ['admin'], title: 'Audit trail' },
      },
      {
        path: 'admin/exams/:id',
        component: () => import('../views/ExamDetailView.vue'),
        meta: { roles: ['admin'], title: 'Exam' },
        children: [
          {
            path: '',
            name: 'exam-settings',
            component: () => import('../views/exam/ExamSettings.vue'),
            meta: { title: 'Exam settings' },
          },
          {
            path: 'scheme',
            name: 'exam-scheme',
            component: () => import('../views/exam/ExamScheme.vue'),
            meta: { title: 'Marking scheme' },
          },
          {
            path: 'teachers',
            name: 'exam-teachers',
            component: () => import('../views/exam/ExamTeachers.vue'),
            meta: { title: 'Exam teachers' },
          },
          {
            path: 'roster',
            name: 'exam-roster',
            component: () => import('../views/exam/ExamRoster.vue'),
            meta: { title: 'Roster' },
          },
          {
            path: 'uploads',
            name: 'exam-uploads',
            component: () => import('../views/exam/ExamUploads.vue'),
            meta: { title: 'Scan uploads' },
          },
          {
            path: 'identification',
            name: 'exam-identification',
            component: () => import('../views/exam/ExamIdentification.vue'),
            meta: { title: 'Identification' },
          },
          {
            path: 'dispatch',
            name: 'exam-dispatch',
            component: () => import('../views/exam/ExamDispatch.vue'),
            meta: { title: 'Dispatch & copies' },
          },
          {
            path: 'results',
            name: 'exam-results',
            component: () => import('../views/exam/ExamResults.vue'),
            meta: { title: 'Results' },
          },
        ],
      },
      {
        path: 'teacher',
        name: 'teacher',
        component: () => import('../views/TeacherDashboardView.vue'),
        meta: { roles: ['teacher'], title: 'Teacher dashboard' },
      },
      {
        path: 'teacher/copies/:id',
        name: 'grading-desk',
        component: () => import('../views/GradingDeskView.vue'),
        meta: { roles: ['teacher', 'admin'], title: 'Grading desk', wide: true },
      },
      {
        path: 'student',
        name: 'student',
        component: () => import('../views/StudentDashboardView.vue'),
        meta: { roles: ['student'], title: 'My results' },
      },
      {
        path: 'student/results/:id',
        name: 'student-result',
        component: () => import('../views/StudentResultView.vue'),
        meta: { roles: ['student'], title: 'My result' },
      },
    ],
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('../views/NotFoundView.vue'),
    meta: { title: 'Page not found' },
  },
]

export function buildRouter(history: RouterHistory = createWebHistory(import.meta.env.BASE_URL)) {
  const router = createRouter({
    history,
    routes,
    scrollBehavior: () => ({ top: 0 }),
  })

  router.beforeEach(async (to) => {
    let user: SessionUser | null
    try {
      user = await loadMe()
    } catch {
      // Backend unreachable: behave as signed out; the next navigation retries.
      user = null
    }
    return decideNavigation(to, user)
  })

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · Korrigo` : 'Korrigo'
  })

  installAuthRedirect(router)
  return router
}
