import { can, canManageMember, type AccountAction, type AccountRole } from '@tollgate/sdk';
import { computed, ref, watch, type Ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { createLatestOnly } from '../../lib/latest-only';
import type { LoadStatus } from '../billing/billing.store';
import {
  createAccountsApi,
  type AccountMember,
  type CreatedInvitation,
  type Invitation,
  type InvitedRole,
} from './accounts.api';
import { useAccountsStore } from './accounts.store';

/**
 * The Members page's state (page-local: a created invitation link dies with the page). Every control
 * the page offers is decided by the domain's role table (`can`, `canManageMember`); the server checks
 * the same table again, and its refusals (LAST_OWNER, 403) are shown next to the control.
 */
export function useMembers(accountId: Ref<string>, selfUserId: Ref<string | null>) {
  const accountsApi = createAccountsApi(useApi());
  const accounts = useAccountsStore();

  const account = computed(() => accounts.list.find((known) => known.id === accountId.value) ?? null);
  const role = computed<AccountRole | null>(() => account.value?.role ?? null);
  const isAllowed = (action: AccountAction) => role.value !== null && can(role.value, action);
  const canManage = (target: AccountRole) => role.value !== null && canManageMember(role.value, target);

  const members = ref<AccountMember[]>([]);
  const invitations = ref<Invitation[]>([]);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);
  /** Per member (user id) or invitation id: the last refusal, shown in that row. */
  const rowErrors = ref<Record<string, string>>({});
  const inviteError = ref<string | null>(null);
  const leaveError = ref<string | null>(null);
  const created = ref<CreatedInvitation | null>(null);
  /** What is in flight ("invite", "role:<userId>", …): one action at a time. */
  const pending = ref<string | null>(null);
  /** The last load fills the page: after a switch of team, the previous team's answer is dropped. */
  const loads = createLatestOnly();

  // What the page said about the previous team (a new link, a refusal) is not about this one.
  watch(accountId, () => {
    created.value = null;
    rowErrors.value = {};
    inviteError.value = null;
    leaveError.value = null;
  });

  async function load(): Promise<void> {
    const loading = loads.begin();
    status.value = 'loading';
    error.value = null;
    try {
      await accounts.ensureLoaded();
      const [memberRows, invitationRows] = await Promise.all([
        accountsApi.members(accountId.value),
        isAllowed('manage_members') ? accountsApi.invitations(accountId.value) : Promise.resolve([]),
      ]);
      if (!loads.isLatest(loading)) return;
      members.value = memberRows;
      invitations.value = invitationRows;
      status.value = 'ready';
    } catch (failure) {
      if (!loads.isLatest(loading)) return;
      error.value = errorMessage(failure);
      status.value = 'error';
    }
  }

  async function act<T>(key: string, errorKey: string | null, action: () => Promise<T>): Promise<T | null> {
    if (pending.value) return null;
    pending.value = key;
    if (errorKey) {
      const { [errorKey]: _dropped, ...rest } = rowErrors.value;
      rowErrors.value = rest;
    }
    try {
      return await action();
    } catch (failure) {
      const message = errorMessage(failure);
      if (errorKey) rowErrors.value = { ...rowErrors.value, [errorKey]: message };
      else throw failure;
      return null;
    } finally {
      pending.value = null;
    }
  }

  /** The caller's own row changed (a transfer made them admin): the switcher and guards follow. */
  function applyMembers(next: AccountMember[]): void {
    members.value = next;
    const self = next.find((member) => member.userId === selfUserId.value);
    if (self && self.role !== role.value) accounts.updateRole(accountId.value, self.role);
  }

  async function invite(email: string, invitedRole: InvitedRole): Promise<boolean> {
    inviteError.value = null;
    created.value = null;
    try {
      const invitation = await act('invite', null, () =>
        accountsApi.invite(accountId.value, email, invitedRole),
      );
      if (!invitation) return false;
      created.value = invitation;
      invitations.value = [
        invitation,
        ...invitations.value.filter((known) => known.email !== invitation.email),
      ];
      return true;
    } catch (failure) {
      inviteError.value = errorMessage(failure);
      return false;
    }
  }

  async function revoke(invitationId: string): Promise<void> {
    const done = await act(`revoke:${invitationId}`, invitationId, () =>
      accountsApi.revokeInvitation(accountId.value, invitationId),
    );
    if (done) {
      invitations.value = invitations.value.filter((known) => known.id !== invitationId);
      if (created.value?.id === invitationId) created.value = null;
    }
  }

  async function setRole(userId: string, nextRole: AccountRole): Promise<void> {
    const next = await act(`role:${userId}`, userId, () =>
      accountsApi.setRole(accountId.value, userId, nextRole),
    );
    if (next) applyMembers(next);
  }

  async function setCap(userId: string, cap: number | null): Promise<boolean> {
    const next = await act(`cap:${userId}`, userId, () =>
      accountsApi.setMemberCap(accountId.value, userId, cap),
    );
    if (next) applyMembers(next);
    return next !== null;
  }

  async function remove(userId: string): Promise<void> {
    const next = await act(`remove:${userId}`, userId, () =>
      accountsApi.removeMember(accountId.value, userId),
    );
    if (next) applyMembers(next);
  }

  async function transferOwnership(userId: string): Promise<void> {
    const next = await act(`transfer:${userId}`, userId, () =>
      accountsApi.transferOwnership(accountId.value, userId),
    );
    if (next) applyMembers(next);
  }

  /** True once the caller is no longer a member (the caller then leaves the page). */
  async function leave(): Promise<boolean> {
    leaveError.value = null;
    try {
      const left = await act('leave', null, () => accountsApi.leave(accountId.value));
      if (!left) return false;
      accounts.forget(accountId.value);
      return true;
    } catch (failure) {
      leaveError.value = errorMessage(failure);
      return false;
    }
  }

  return {
    account,
    role,
    isAllowed,
    canManage,
    members,
    invitations,
    status,
    error,
    rowErrors,
    inviteError,
    leaveError,
    created,
    pending,
    load,
    invite,
    revoke,
    setRole,
    setCap,
    remove,
    transferOwnership,
    leave,
  };
}
