import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { createAuthApi, type Credentials } from './auth.api';
import type { SessionUser } from './auth-session';

/** Who is signed in. The tokens themselves stay in the AuthSession (localStorage). */
export const useAuthStore = defineStore('auth', () => {
  const api = useApi();
  const authApi = createAuthApi(api);

  const user = ref<SessionUser | null>(api.session.get()?.user ?? null);
  const isSubmitting = ref(false);
  const error = ref<string | null>(null);
  const isSignedIn = computed(() => user.value !== null);

  // Sign-in or sign-out in another tab, or a refresh token the server refused.
  api.session.onChange((session) => {
    user.value = session?.user ?? null;
  });

  async function submit(action: (credentials: Credentials) => Promise<unknown>, credentials: Credentials) {
    isSubmitting.value = true;
    error.value = null;
    try {
      await action(credentials);
      return true;
    } catch (failure) {
      error.value = errorMessage(failure);
      return false;
    } finally {
      isSubmitting.value = false;
    }
  }

  function signIn(credentials: Credentials): Promise<boolean> {
    return submit(async (input) => api.session.set(await authApi.login(input)), credentials);
  }

  function signUp(credentials: Credentials): Promise<boolean> {
    return submit(async (input) => api.session.set(await authApi.register(input)), credentials);
  }

  /** Revokes the refresh token when the server can be reached; signs out locally either way. */
  async function signOut(): Promise<void> {
    const session = api.session.get();
    api.session.clear();
    if (session) await authApi.logout(session.refreshToken).catch(() => undefined);
  }

  function clearError() {
    error.value = null;
  }

  return { user, isSignedIn, isSubmitting, error, signIn, signUp, signOut, clearError };
});
