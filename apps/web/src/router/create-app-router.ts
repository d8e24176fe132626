import type { Pinia } from 'pinia';
import { createRouter, type RouterHistory } from 'vue-router';
import { useAuthStore } from '../features/auth/auth.store';
import { routes } from './routes';

/** The app's router: signed-out users go to /login (and come back afterwards), signed-in users skip it. */
export function createAppRouter(history: RouterHistory, pinia: Pinia) {
  const router = createRouter({
    history,
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  });

  router.beforeEach((to) => {
    const auth = useAuthStore(pinia);
    if (!to.meta.isPublic && !auth.isSignedIn) {
      return { path: '/login', query: to.fullPath === '/sessions' ? {} : { redirect: to.fullPath } };
    }
    if (to.meta.isGuestOnly && auth.isSignedIn) return { path: '/sessions' };
    return true;
  });

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · Tollgate` : 'Tollgate';
  });

  return router;
}
