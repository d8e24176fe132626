import { computed, onScopeDispose, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorCode, retryAfterSeconds } from '../../lib/app-error';
import { errorMessage } from '../../lib/error-message';
import { createAuthApi } from './auth.api';
import { useAuthStore } from './auth.store';

export interface ResendOutcome {
  tone: 'success' | 'error';
  text: string;
}

/**
 * "Resend email" for the verification link (the banner and the verify-email page). The server limits
 * how often it sends: its 429 message says how long to wait, and the button stays disabled that long.
 */
export function useResendVerification() {
  const authApi = createAuthApi(useApi());
  const auth = useAuthStore();
  const isSending = ref(false);
  const outcome = ref<ResendOutcome | null>(null);
  const isCoolingDown = ref(false);
  let cooldown: ReturnType<typeof setTimeout> | null = null;
  const canResend = computed(() => !isSending.value && !isCoolingDown.value);

  function coolDown(seconds: number): void {
    if (cooldown) clearTimeout(cooldown);
    isCoolingDown.value = true;
    cooldown = setTimeout(() => {
      isCoolingDown.value = false;
      cooldown = null;
    }, seconds * 1000);
  }
  onScopeDispose(() => {
    if (cooldown) clearTimeout(cooldown);
  });

  async function resend(): Promise<void> {
    if (!canResend.value) return;
    isSending.value = true;
    outcome.value = null;
    try {
      const { sent } = await authApi.resendVerification();
      if (sent) {
        const to = auth.user?.email ? ` to ${auth.user.email}` : '';
        outcome.value = { tone: 'success', text: `We sent a new link${to}. It may take a minute to arrive.` };
      } else {
        // Verified meanwhile (in another tab, say): auth.me says so and the banner goes away.
        outcome.value = { tone: 'success', text: 'Your email address is already verified.' };
        await auth.reloadMe();
      }
    } catch (failure) {
      outcome.value = { tone: 'error', text: errorMessage(failure) };
      const wait = errorCode(failure) === 'TOO_MANY_REQUESTS' ? retryAfterSeconds(failure) : null;
      if (wait !== null) coolDown(wait);
    } finally {
      isSending.value = false;
    }
  }

  return { isSending, outcome, canResend, resend };
}
