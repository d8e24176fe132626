import { can, type AccountAction, type AccountKind, type AccountRole } from '@tollgate/sdk';
import { defineStore, getActivePinia } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { resetStores } from '../../lib/reset-stores';
import { useBillingStore, type LoadStatus } from '../billing/billing.store';
import { useCreditsStore } from '../credits/credits.store';
import { useSessionsStore } from '../sessions/sessions.store';
import { useSpendStore } from '../spend/spend.store';
import { createAccountsApi, type AccountSummary } from './accounts.api';
import { readActiveAccount, storeActiveAccount } from './active-account-storage';

/** "Personal" for the user's own account, else the team's name. */
export function accountLabel(account: Pick<AccountSummary, 'kind' | 'name'>): string {
  return account.kind === 'personal' ? 'Personal' : (account.name ?? 'Team');
}

/**
 * The caller's billing accounts and the one this tab acts on. The active account reaches every tRPC
 * call as the X-Tollgate-Account header, for team accounts only: the personal account sends none, so
 * a user without teams makes exactly the calls it made before accounts existed.
 */
export const useAccountsStore = defineStore('accounts', () => {
  const api = useApi();
  const accountsApi = createAccountsApi(api);
  const pinia = getActivePinia();
  // The store lives while one user is signed in (app-root resets it on sign-out).
  const userId = api.session.get()?.user.id ?? null;

  const list = ref<AccountSummary[]>([]);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);
  /** A team account's id; null is the personal account. Read before the first call goes out. */
  const activeId = ref<string | null>(readActiveAccount(userId));
  api.account.set(activeId.value);

  const personal = computed(() => list.value.find((account) => account.kind === 'personal') ?? null);
  const teams = computed(() => list.value.filter((account) => account.kind === 'team'));
  const active = computed<AccountSummary | null>(() =>
    activeId.value === null ? personal.value : (list.value.find((a) => a.id === activeId.value) ?? null),
  );
  const activeKind = computed<AccountKind>(() => (activeId.value === null ? 'personal' : 'team'));
  /** The caller's role in the active account: owner of its personal account; null until the list says. */
  const role = computed<AccountRole | null>(
    () => active.value?.role ?? (activeId.value === null ? 'owner' : null),
  );
  const label = computed(() =>
    active.value ? accountLabel(active.value) : activeId.value ? 'Team' : 'Personal',
  );
  /** What remounts the signed-in pages when the account changes (their stores start empty). */
  const activeKey = computed(() => activeId.value ?? 'personal');

  function isAllowed(action: AccountAction): boolean {
    return role.value !== null && can(role.value, action);
  }

  let loading: Promise<void> | null = null;

  function load(): Promise<void> {
    loading ??= (async () => {
      status.value = 'loading';
      error.value = null;
      try {
        list.value = await accountsApi.list();
        status.value = 'ready';
        // A team this tab remembered but the user no longer belongs to (removed, left elsewhere).
        if (activeId.value !== null && !teams.value.some((team) => team.id === activeId.value))
          activate(null);
      } catch (failure) {
        error.value = errorMessage(failure);
        status.value = 'error';
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  function ensureLoaded(): Promise<void> {
    return status.value === 'idle' ? load() : (loading ?? Promise.resolve());
  }

  /**
   * Acts on another account from now on: the header changes before anything reloads, and the billing,
   * credits, spend and sessions stores are dropped so nothing of the previous account is shown (the pages keyed on
   * activeKey remount and load again).
   */
  function activate(accountId: string | null): void {
    const next = accountId !== null && accountId === personal.value?.id ? null : accountId;
    if (next === activeId.value) return;
    activeId.value = next;
    api.account.set(next);
    storeActiveAccount(userId, next);
    if (pinia) {
      const stale = [];
      if (pinia.state.value.billing) stale.push(useBillingStore(pinia));
      if (pinia.state.value.credits) stale.push(useCreditsStore(pinia));
      if (pinia.state.value.sessions) stale.push(useSessionsStore(pinia));
      if (pinia.state.value.spend) stale.push(useSpendStore(pinia));
      resetStores(pinia, stale);
    }
  }

  function remember(account: AccountSummary): void {
    list.value = [...list.value.filter((known) => known.id !== account.id), account];
  }

  /** A new team owned by the caller, made active. */
  async function createTeam(name: string): Promise<AccountSummary> {
    const created = await accountsApi.create(name);
    remember(created);
    activate(created.id);
    return created;
  }

  /** Joins through an invitation link and makes the team active. */
  async function acceptInvitation(input: { accountId: string; invitationId: string; token: string }) {
    const joined = await accountsApi.acceptInvitation(input);
    remember(joined);
    activate(joined.id);
    return joined;
  }

  /** After leaving (or being told the account is gone): drop it, back to personal if it was active. */
  function forget(accountId: string): void {
    list.value = list.value.filter((account) => account.id !== accountId);
    if (activeId.value === accountId) activate(null);
  }

  /** A role changed on the Members page (the caller's own, e.g. after transferring ownership). */
  function updateRole(accountId: string, nextRole: AccountRole): void {
    list.value = list.value.map((account) =>
      account.id === accountId ? { ...account, role: nextRole } : account,
    );
  }

  return {
    list,
    status,
    error,
    activeId,
    activeKey,
    active,
    activeKind,
    personal,
    teams,
    role,
    label,
    isAllowed,
    load,
    ensureLoaded,
    activate,
    createTeam,
    acceptInvitation,
    forget,
    updateRole,
  };
});
