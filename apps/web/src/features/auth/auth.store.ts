import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { createAuthApi, type Credentials, type PlatformRole } from './auth.api';
import type { SessionUser } from './auth-session';

/** Who is signed in. The tokens themselves stay in the AuthSession (localStorage). */
export const useAuthStore = defineStore('auth', () => {
  const api = useApi();
  const authApi = createAuthApi(api);

  const user = ref<SessionUser | null>(api.session.get()?.user ?? null);
  const isSubmitting = ref(false);
  const error = ref<string | null>(null);
  const isSignedIn = computed(() => user.value !== null);

  /** From auth.me, asked once per signed-in user: decides whether the operator pages are offered. */
  const platformRole = ref<PlatformRole>(null);
  const roleStatus = ref<'idle' | 'loading' | 'ready' | 'error'>('idle');
  const isOperator = computed(() => platformRole.value === 'operator');
  let roleLoading: Promise<void> | null = null;

  // Sign-in or sign-out in another tab, or a refresh token the server refused.
  api.session.onChange((session) => {
    const next = session?.user ?? null;
    // Another user (or none): the previous one's role must not linger.
    if (next?.id !== user.value?.id) forgetRole();
    user.value = next;
  });

  function forgetRole(): void {
    platformRole.value = null;
    roleStatus.value = 'idle';
    roleLoading = null;
  }

  function loadRole(): Promise<void> {
    roleLoading ??= (async () => {
      roleStatus.value = 'loading';
      try {
        platformRole.value = await authApi.platformRole();
        roleStatus.value = 'ready';
      } catch {
        // Shown as "not an operator" until a retry: the server refuses operator calls anyway.
        roleStatus.value = 'error';
      } finally {
        roleLoading = null;
      }
    })();
    return roleLoading;
  }

  /** First load only, and only when signed in (the header and the operator page share it). */
  function ensureRole(): Promise<void> {
    return isSignedIn.value && roleStatus.value === 'idle' ? loadRole() : (roleLoading ?? Promise.resolve());
  }

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

  return {
    user,
    isSignedIn,
    isSubmitting,
    error,
    platformRole,
    roleStatus,
    isOperator,
    signIn,
    signUp,
    signOut,
    clearError,
    loadRole,
    ensureRole,
  };
});
