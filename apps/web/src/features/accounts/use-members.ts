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
  /** The action in flight writes to the page only while its team is shown: a switch supersedes it. */
  const actions = createLatestOnly();

  // What the page said about the previous team (a new link, a refusal, an action under way) is not about
  // this one: the new team's controls are free at once.
  watch(accountId, () => {
    actions.supersede();
    pending.value = null;
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

  /**
   * Runs one action for the team shown now (`action` gets its id). Its answer, or its refusal, reaches
   * the page only if the user is still on that team: otherwise act returns null, as on a refusal.
   */
  async function act<T>(
    key: string,
    errorKey: string | null,
    action: (teamId: string) => Promise<T>,
  ): Promise<T | null> {
    if (pending.value) return null;
    const acting = actions.begin();
    pending.value = key;
    if (errorKey) {
      const { [errorKey]: _dropped, ...rest } = rowErrors.value;
      rowErrors.value = rest;
    }
    const teamId = accountId.value;
    try {
      const answer = await action(teamId);
      if (actions.isLatest(acting)) return answer;
      // The user left this team and came back meanwhile: the read made on coming back may predate
      // this change, so the team is read again.
      if (accountId.value === teamId) void load();
      return null;
    } catch (failure) {
      if (!actions.isLatest(acting)) return null;
      const message = errorMessage(failure);
      if (errorKey) rowErrors.value = { ...rowErrors.value, [errorKey]: message };
      else throw failure;
      return null;
    } finally {
      // Otherwise `pending` is the new team's (or nothing): a switch of team freed the controls.
      if (actions.isLatest(acting)) pending.value = null;
    }
  }

  /**
   * The caller's own row in `teamId` changed (a transfer made them admin): the switcher and guards
   * follow. Done for the team the action was for, even when the page has moved on to another since.
   */
  function noteOwnRole(teamId: string, next: AccountMember[]): AccountMember[] {
    const self = next.find((member) => member.userId === selfUserId.value);
    const known = accounts.list.find((candidate) => candidate.id === teamId);
    if (self && known && self.role !== known.role) accounts.updateRole(teamId, self.role);
    return next;
  }

  /** A member action's answer: the team's members after it (noting the caller's own role on the way). */
  async function changeMembers(
    key: string,
    userId: string,
    request: (teamId: string) => Promise<AccountMember[]>,
  ): Promise<boolean> {
    const next = await act(key, userId, async (teamId) => noteOwnRole(teamId, await request(teamId)));
    if (next) members.value = next;
    return next !== null;
  }

  async function invite(email: string, invitedRole: InvitedRole): Promise<boolean> {
    inviteError.value = null;
    created.value = null;
    try {
      const invitation = await act('invite', null, (teamId) =>
        accountsApi.invite(teamId, email, invitedRole),
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
    const done = await act(`revoke:${invitationId}`, invitationId, (teamId) =>
      accountsApi.revokeInvitation(teamId, invitationId),
    );
    if (done) {
      invitations.value = invitations.value.filter((known) => known.id !== invitationId);
      if (created.value?.id === invitationId) created.value = null;
    }
  }

  async function setRole(userId: string, nextRole: AccountRole): Promise<void> {
    await changeMembers(`role:${userId}`, userId, (teamId) => accountsApi.setRole(teamId, userId, nextRole));
  }

  function setCap(userId: string, cap: number | null): Promise<boolean> {
    return changeMembers(`cap:${userId}`, userId, (teamId) => accountsApi.setMemberCap(teamId, userId, cap));
  }

  async function remove(userId: string): Promise<void> {
    await changeMembers(`remove:${userId}`, userId, (teamId) => accountsApi.removeMember(teamId, userId));
  }

  async function transferOwnership(userId: string): Promise<void> {
    await changeMembers(`transfer:${userId}`, userId, (teamId) =>
      accountsApi.transferOwnership(teamId, userId),
    );
  }

  /**
   * True once the caller is no longer a member of the team shown (the caller then leaves the page).
   * The team left is forgotten even if the user has moved on to another team's page since.
   */
  async function leave(): Promise<boolean> {
    leaveError.value = null;
    try {
      const left = await act('leave', null, async (teamId) => {
        await accountsApi.leave(teamId);
        accounts.forget(teamId);
        return true;
      });
      return left === true;
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
