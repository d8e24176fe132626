import { computed } from 'vue';
import { useAuthStore } from '../auth/auth.store';
import { canPerform, isStaff, type ConsoleAction } from './console-access';

/** The signed-in user's platform role, from auth.me (asked once, shared with the header). */
export function useStaffRole() {
  const auth = useAuthStore();
  const role = computed(() => (isStaff(auth.platformRole) ? auth.platformRole : null));
  return {
    role,
    isStaff: computed(() => role.value !== null),
    /** Still asking auth.me: nothing is decided yet. */
    isChecking: computed(() => auth.meStatus === 'idle' || auth.meStatus === 'loading'),
    hasCheckFailed: computed(() => auth.meStatus === 'error'),
    can: (action: ConsoleAction) => canPerform(role.value, action),
    ensure: () => auth.ensureMe(),
    retry: () => auth.loadMe(),
  };
}
