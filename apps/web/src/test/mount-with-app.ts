import { flushPromises, mount, type ComponentMountingOptions } from '@vue/test-utils';
import { createPinia, type Pinia } from 'pinia';
import { defineComponent, type Component } from 'vue';
import { createMemoryHistory, createRouter, type Router } from 'vue-router';
import { createAuthSession, type AuthSession } from '../features/auth/auth-session';
import { createApi } from '../lib/api';
import { createFakeTrpc, type FakeHandler, type FakeTrpc } from './fake-trpc';

export interface MountOptions<C extends Component> {
  handlers: Record<string, FakeHandler>;
  /** The current route when the component mounts (its query included). */
  path?: string;
  isSignedIn?: boolean;
  props?: ComponentMountingOptions<C>['props'];
  /** This tab's sessionStorage entries when the app starts (the active account, say). */
  sessionStorage?: Record<string, string>;
}

export interface MountedApp {
  fake: FakeTrpc;
  router: Router;
  pinia: Pinia;
  session: AuthSession;
}

const Blank = defineComponent({ render: () => null });
const PATHS = [
  '/login',
  '/register',
  '/sessions',
  '/sessions/:id',
  '/settings/subscription',
  '/operator/api-keys',
  '/console/:rest(.*)*',
  '/accounts/:id/members',
  '/invitations/accept',
  '/verify-email',
  '/forgot-password',
  '/reset-password',
  '/settings/notifications',
];

/** Mounts a component the way the app runs it: real Api, Pinia and router, with a fake server. */
export async function mountWithApp<C extends Component>(component: C, options: MountOptions<C>) {
  window.localStorage.clear();
  // The active account is per tab: a previous test's team must not be this one's (other sessionStorage
  // entries, like the portal snapshot, are set up by the tests themselves).
  for (const key of Object.keys(window.sessionStorage)) {
    if (key.startsWith('tollgate.activeAccount.')) window.sessionStorage.removeItem(key);
  }
  for (const [key, value] of Object.entries(options.sessionStorage ?? {}))
    window.sessionStorage.setItem(key, value);
  const session = createAuthSession(window.localStorage);
  if (options.isSignedIn ?? true) {
    session.set({
      accessToken: 'access-1',
      refreshToken: 'refresh-1',
      user: { id: 'u1', email: 'ada@example.com' },
    });
  }
  const fake = createFakeTrpc(options.handlers);
  const api = createApi({
    url: 'http://localhost',
    session,
    fetch: fake.fetch,
    retries: 0,
    timeoutMs: 2_000,
  });
  const pinia = createPinia();
  const router = createRouter({
    history: createMemoryHistory(),
    routes: PATHS.map((path) => ({ path, component: Blank })),
  });
  await router.push(options.path ?? '/sessions');
  const wrapper = mount(component, {
    props: options.props,
    attachTo: document.body,
    global: { plugins: [api, pinia, router] },
  } as ComponentMountingOptions<C>);
  await flushPromises();
  const app: MountedApp = { fake, router, pinia, session };
  return { wrapper, ...app };
}
