import type { RouteRecordRaw } from 'vue-router';
import type * as ConsoleViews from '../features/console/console-views';

declare module 'vue-router' {
  interface RouteMeta {
    /** Signed-in users only (the default). */
    isPublic?: boolean;
    /** Sign-in and sign-up: a signed-in user is sent on to the app. */
    isGuestOnly?: boolean;
    title?: string;
  }
}

/** The operator console is one chunk: its layout and views (see console-views.ts). */
const consoleView = (name: keyof typeof ConsoleViews) => () =>
  import('../features/console/console-views').then((views) => views[name]);

// Views load on demand: the first screen only downloads what it shows.
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/sessions' },
  {
    path: '/login',
    component: () => import('../features/auth/views/login-view.vue'),
    meta: { isPublic: true, isGuestOnly: true, title: 'Sign in' },
  },
  {
    path: '/register',
    component: () => import('../features/auth/views/register-view.vue'),
    meta: { isPublic: true, isGuestOnly: true, title: 'Create account' },
  },
  {
    path: '/forgot-password',
    component: () => import('../features/auth/views/forgot-password-view.vue'),
    meta: { isPublic: true, isGuestOnly: true, title: 'Reset your password' },
  },
  {
    // Public, signed in or not: the token in the link (#token=…) is what proves the address.
    path: '/verify-email',
    component: () => import('../features/auth/views/verify-email-view.vue'),
    meta: { isPublic: true, title: 'Verify your email' },
  },
  {
    // Not guest-only: a user signed in in this tab resets too, and is signed out afterwards (the server
    // revokes every session of the user).
    path: '/reset-password',
    component: () => import('../features/auth/views/reset-password-view.vue'),
    meta: { isPublic: true, title: 'Choose a new password' },
  },
  {
    path: '/sessions',
    component: () => import('../features/sessions/views/sessions-view.vue'),
    meta: { title: 'Sessions' },
  },
  {
    path: '/sessions/:id',
    component: () => import('../features/sessions/views/session-view.vue'),
    props: true,
    meta: { title: 'Session' },
  },
  {
    path: '/settings/subscription',
    component: () => import('../features/billing/views/subscription-settings-view.vue'),
    meta: { title: 'Subscription' },
  },
  {
    path: '/settings/notifications',
    component: () => import('../features/notifications/views/notification-settings-view.vue'),
    meta: { title: 'Notifications' },
  },
  {
    path: '/accounts/:id/members',
    component: () => import('../features/accounts/views/members-view.vue'),
    props: true,
    meta: { title: 'Members' },
  },
  {
    // Public: signed out, the page explains the invitation and sends the user to sign in or sign up and
    // back (the token waits in this tab's sessionStorage, never in a ?redirect= query).
    path: '/invitations/accept',
    component: () => import('../features/accounts/views/accept-invitation-view.vue'),
    meta: { isPublic: true, title: 'Join a team' },
  },
  {
    // Platform operators only: the page itself tells anyone else so (the server refuses them too).
    path: '/operator/api-keys',
    component: () => import('../features/operator/views/api-keys-view.vue'),
    meta: { title: 'API keys' },
  },
  {
    // Platform staff (operators and support): the layout tells anyone else so, and the server refuses
    // them too. Everything under features/console loads through one lazy module, never with the
    // end-user app.
    path: '/console',
    component: consoleView('ConsoleLayout'),
    children: [
      { path: '', component: consoleView('ConsoleDashboardView'), meta: { title: 'Console' } },
      { path: 'customers', component: consoleView('ConsoleCustomersView'), meta: { title: 'Customers' } },
      {
        path: 'customers/:accountId',
        component: consoleView('ConsoleCustomerView'),
        props: true,
        meta: { title: 'Customer' },
      },
      { path: 'audit', component: consoleView('ConsoleAuditView'), meta: { title: 'Audit log' } },
    ],
  },
  {
    path: '/:pathMatch(.*)*',
    component: () => import('../views/not-found-view.vue'),
    meta: { isPublic: true, title: 'Not found' },
  },
];
