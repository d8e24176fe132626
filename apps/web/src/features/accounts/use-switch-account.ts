import { nextTick } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { useAccountsStore } from './accounts.store';

export const SWITCHER_BUTTON_ID = 'account-switcher-button';

export function membersPath(accountId: string): string {
  return `/accounts/${accountId}/members`;
}

/**
 * Switches the active account and leaves pages that belong to the previous one (a session is private
 * to its account; a Members page names its team). Focus goes back to the switcher, which the switch
 * has remounted.
 */
export function useSwitchAccount() {
  const accounts = useAccountsStore();
  const route = useRoute();
  const router = useRouter();

  async function afterSwitch(target?: string): Promise<void> {
    if (target) await router.push(target);
    else if (route.path.startsWith('/sessions/')) await router.push('/sessions');
    else if (route.path.startsWith('/accounts/')) {
      await router.push(accounts.activeId ? membersPath(accounts.activeId) : '/sessions');
    }
    await nextTick();
    document.getElementById(SWITCHER_BUTTON_ID)?.focus();
  }

  return {
    async switchTo(accountId: string | null): Promise<void> {
      accounts.activate(accountId);
      await afterSwitch();
    },
    /** Creates the team, makes it active and opens its Members page (inviting is what comes next). */
    async createTeam(name: string): Promise<void> {
      const created = await accounts.createTeam(name);
      await afterSwitch(membersPath(created.id));
    },
  };
}
