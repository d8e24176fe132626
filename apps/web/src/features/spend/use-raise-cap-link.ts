import { ref } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { isInAppPath } from '../../router/safe-redirect';

/**
 * A 402's `raiseUrl` (/settings/subscription?cap=1) asks for the cap: the flag is read once and dropped
 * from the address (a reload must not jump again). `isCapRequested` turns true only after that, and one
 * task later: the router scrolls a newly opened page to the top after it renders, and the cap form's
 * scroll into view must come after that one, not be undone by it.
 */
export function useRaiseCapLink() {
  const route = useRoute();
  const router = useRouter();
  const isCapRequested = ref(false);
  if (route.query.cap !== undefined) {
    const { cap: _cap, ...rest } = route.query;
    void router.replace({ query: rest }).then(() =>
      setTimeout(() => {
        isCapRequested.value = true;
      }, 0),
    );
  }
  return { isCapRequested };
}

/**
 * The in-app route of a 402's `raiseUrl` (absolute, on the server's APP_URL): its path and query, which
 * the router opens in this app whatever origin the server names (a dev server, a proxy), so a response
 * body never sends the user elsewhere. Anything unreadable falls back to the settings page's cap.
 */
export function raiseCapPath(raiseUrl: string): string {
  const fallback = '/settings/subscription?cap=1';
  try {
    const url = new URL(raiseUrl, 'http://app.invalid');
    const path = `${url.pathname}${url.search}`;
    return isInAppPath(path) ? path : fallback;
  } catch {
    return fallback;
  }
}
