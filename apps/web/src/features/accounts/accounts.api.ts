import { toTollgateError, type AccountRole, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

/** Dates stay ISO strings here: tRPC sends JSON without a transformer. */
export type AccountSummary = RouterOutputs['accounts']['list'][number];
export type AccountMember = RouterOutputs['accounts']['members'][number];
export type Invitation = RouterOutputs['accounts']['invitations'][number];
export type CreatedInvitation = RouterOutputs['accounts']['invite'];
export type InvitedRole = Invitation['role'];

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/**
 * accounts.*: every procedure but list/create/acceptInvitation names its account in the input (the
 * Members page's route id), whichever account the header makes active.
 */
export function createAccountsApi({ client }: Api) {
  const { accounts } = client.trpc;
  return {
    list: () => call(accounts.list.query()),
    create: (name: string) => call(accounts.create.mutate({ name })),
    members: (accountId: string) => call(accounts.members.query({ accountId })),
    setRole: (accountId: string, userId: string, role: AccountRole) =>
      call(accounts.setRole.mutate({ accountId, userId, role })),
    setMemberCap: (accountId: string, userId: string, monthlyRunCap: number | null) =>
      call(accounts.setMemberCap.mutate({ accountId, userId, monthlyRunCap })),
    removeMember: (accountId: string, userId: string) =>
      call(accounts.removeMember.mutate({ accountId, userId })),
    leave: (accountId: string) => call(accounts.leave.mutate({ accountId })),
    transferOwnership: (accountId: string, userId: string) =>
      call(accounts.transferOwnership.mutate({ accountId, userId })),
    invite: (accountId: string, email: string, role: InvitedRole) =>
      call(accounts.invite.mutate({ accountId, email, role })),
    invitations: (accountId: string) => call(accounts.invitations.query({ accountId })),
    revokeInvitation: (accountId: string, invitationId: string) =>
      call(accounts.revokeInvitation.mutate({ accountId, invitationId })),
    acceptInvitation: (input: { accountId: string; invitationId: string; token: string }) =>
      call(accounts.acceptInvitation.mutate(input)),
  };
}

export type AccountsApi = ReturnType<typeof createAccountsApi>;
