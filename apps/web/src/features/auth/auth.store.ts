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

  /**
   * From auth.me, asked once per signed-in user: the platform role decides whether the operator pages
   * are offered; `emailVerified` whether the verify-email banner shows and trial / checkout are offered
   * (null until known: nothing is disabled on a guess, the server refuses unverified users anyway).
   */
  const platformRole = ref<PlatformRole>(null);
  const emailVerified = ref<boolean | null>(null);
  const meStatus = ref<'idle' | 'loading' | 'ready' | 'error'>('idle');
  const isOperator = computed(() => platformRole.value === 'operator');
  /** Operators and support: the operator console is theirs. */
  const isStaff = computed(() => platformRole.value === 'operator' || platformRole.value === 'support');
  const isEmailUnverified = computed(() => isSignedIn.value && emailVerified.value === false);
  let meLoading: Promise<void> | null = null;
  /** Bumped by what this tab learns first-hand (a verified link, a 403): an older answer can't undo it. */
  let verificationNews = 0;

  // Sign-in or sign-out in another tab, or a refresh token the server refused.
  api.session.onChange((session) => {
    const next = session?.user ?? null;
    // Another user (or none): the previous one's role and verification must not linger.
    if (next?.id !== user.value?.id) forgetMe();
    user.value = next;
  });

  function forgetMe(): void {
    platformRole.value = null;
    emailVerified.value = null;
    meStatus.value = 'idle';
    meLoading = null;
    verificationNews += 1;
  }

  function loadMe(): Promise<void> {
    meLoading ??= (async () => {
      meStatus.value = 'loading';
      const news = verificationNews;
      try {
        const me = await authApi.me();
        platformRole.value = me.platformRole;
        if (news === verificationNews) emailVerified.value = me.emailVerified;
        meStatus.value = 'ready';
      } catch {
        // Shown as "not an operator" until a retry: the server refuses operator calls anyway.
        meStatus.value = 'error';
      } finally {
        meLoading = null;
      }
    })();
    return meLoading;
  }

  /** First load only, and only when signed in (the header, the banner and the operator page share it). */
  function ensureMe(): Promise<void> {
    return isSignedIn.value && meStatus.value === 'idle' ? loadMe() : (meLoading ?? Promise.resolve());
  }

  /** Asks auth.me again after anything in flight: what it says now, not what it said a moment ago. */
  async function reloadMe(): Promise<void> {
    await meLoading;
    await loadMe();
  }

  /**
   * verifyEmail succeeded for `email`: when that is the signed-in user's address the banner goes at
   * once (a link opened in this tab may be another user's: then auth.me decides, as always).
   */
  function noteEmailVerified(email: string): void {
    if (user.value?.email && user.value.email.toLowerCase() === email.toLowerCase()) {
      emailVerified.value = true;
      verificationNews += 1;
    }
  }

  /** A billing call refused with EMAIL_NOT_VERIFIED: the banner shows even if auth.me said otherwise. */
  function noteEmailUnverified(): void {
    if (!isSignedIn.value) return;
    emailVerified.value = false;
    verificationNews += 1;
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

  /**
   * After a password reset every session of the user is revoked already: only this tab's tokens are
   * left to forget (a logout call would be refused).
   */
  function signOutLocally(): void {
    api.session.clear();
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
    emailVerified,
    meStatus,
    isOperator,
    isStaff,
    isEmailUnverified,
    signIn,
    signUp,
    signOut,
    signOutLocally,
    clearError,
    loadMe,
    ensureMe,
    reloadMe,
    noteEmailUnverified,
    noteEmailVerified,
  };
});
