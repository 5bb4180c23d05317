import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import { installAuthRedirect, loadMe, type SessionUser } from '../stores/session'
import { decideNavigation } from './guards'
import { t } from '../i18n'

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'root', component: { render: () => null } },
  {
    path: '/login',
    name: 'login',
    component: () => import('../views/StaffLoginView.vue'),
    meta: { guestOnly: true, title: 'staffSignIn' },
  },
  {
    path: '/student/login',
    name: 'student-login',
    component: () => import('../views/StudentLoginView.vue'),
    meta: { guestOnly: true, title: 'studentSignIn' },
  },
  {
    path: '/',
    component: () => import('../layouts/AppLayout.vue'),
    children: [
      {
        path: 'change-password',
        name: 'change-password',
        component: () => import('../views/ChangePasswordView.vue'),
        meta: { requiresAuth: true, passwordChange: true, title: 'changePassword' },
      },
      {
        path: 'admin',
        name: 'admin',
        component: () => import('../views/AdminDashboardView.vue'),
        meta: { roles: ['admin'], title: 'adminDashboard' },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('../views/AdminUsersView.vue'),
        meta: { roles: ['admin'], title: 'users' },
      },
      {
        path: 'admin/exams',
        name: 'admin-exams',
        component: () => import('../views/AdminExamsView.vue'),
        meta: { roles: ['admin'], title: 'exams' },
      },
      {
        path: 'admin/audit',
        name: 'admin-audit',
        component: () => import('../views/AdminAuditView.vue'),
        meta: { roles: ['admin'], title: 'audit' },
      },
      {
        path: 'admin/exams/:id',
        component: () => import('../views/ExamDetailView.vue'),
        meta: { roles: ['admin'], title: 'exam' },
        children: [
          {
            path: '',
            name: 'exam-settings',
            component: () => import('../views/exam/ExamSettings.vue'),
            meta: { title: 'examSettings' },
          },
          {
            path: 'scheme',
            name: 'exam-scheme',
            component: () => import('../views/exam/ExamScheme.vue'),
            meta: { title: 'scheme' },
          },
          {
            path: 'teachers',
            name: 'exam-teachers',
            component: () => import('../views/exam/ExamTeachers.vue'),
            meta: { title: 'examTeachers' },
          },
          {
            path: 'roster',
            name: 'exam-roster',
            component: () => import('../views/exam/ExamRoster.vue'),
            meta: { title: 'roster' },
          },
          {
            path: 'uploads',
            name: 'exam-uploads',
            component: () => import('../views/exam/ExamUploads.vue'),
            meta: { title: 'uploads' },
          },
          {
            path: 'identification',
            name: 'exam-identification',
            component: () => import('../views/exam/ExamIdentification.vue'),
            meta: { title: 'identification' },
          },
          {
            path: 'dispatch',
            name: 'exam-dispatch',
            component: () => import('../views/exam/ExamDispatch.vue'),
            meta: { title: 'dispatch' },
          },
          {
            path: 'results',
            name: 'exam-results',
            component: () => import('../views/exam/ExamResults.vue'),
            meta: { title: 'results' },
          },
          {
            path: 'regrades',
            name: 'exam-regrades',
            component: () => import('../views/exam/ExamRegrades.vue'),
            meta: { title: 'examRegrades' },
          },
        ],
      },
      {
        path: 'teacher',
        name: 'teacher',
        component: () => import('../views/TeacherDashboardView.vue'),
        meta: { roles: ['teacher'], title: 'teacherDashboard' },
      },
      {
        path: 'teacher/copies/:id',
        name: 'grading-desk',
        component: () => import('../views/GradingDeskView.vue'),
        meta: { roles: ['teacher', 'admin'], title: 'desk', wide: true },
      },
      {
        path: 'teacher/regrades',
        name: 'regrade-queue',
        component: () => import('../views/RegradeQueueView.vue'),
        meta: { roles: ['teacher', 'admin'], title: 'regradeQueue', wide: true },
      },
      {
        path: 'teacher/exams/:examId/questions/:questionId',
        name: 'question-desk',
        component: () => import('../views/QuestionDeskView.vue'),
        meta: { roles: ['teacher', 'admin'], title: 'questionDesk', wide: true },
      },
      {
        path: 'student',
        name: 'student',
        component: () => import('../views/StudentDashboardView.vue'),
        meta: { roles: ['student'], title: 'myResults' },
      },
      {
        path: 'student/results/:id',
        name: 'student-result',
        component: () => import('../views/StudentResultView.vue'),
        meta: { roles: ['student'], title: 'myResult' },
      },
    ],
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('../views/NotFoundView.vue'),
    meta: { title: 'notFound' },
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
    document.title = to.meta.title ? `${t(`titles.${String(to.meta.title)}`)} · Korrigo` : 'Korrigo'
  })

  installAuthRedirect(router)
  return router
}
