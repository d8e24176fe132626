import {
  addMember,
  claimInvitation,
  countInvitationsSince,
  countInvitationsToAddressSince,
  countOwners,
  createTeamAccount,
  findAccount,
  findMembership,
  findUserById,
  listAccountsOfUser,
  listMembers,
  listPendingInvitations,
  lockAccountForMembershipChange,
  memberUsageOfPeriod,
  normalizeEmail,
  removeMember,
  replaceInvitation,
  revokeInvitation,
  setMemberCap,
  INVITATION_ROLES,
  setMemberRole,
  type Database,
} from '@tollgate/db';
import {
  AppError,
  MS_PER_DAY,
  MS_PER_HOUR,
  can,
  canManageMember,
  type AccountAction,
  type AccountRole,
} from '@tollgate/domain';
import { hashSecret, randomToken } from '../auth/secrets';
import { DEFAULT_TEAM_ACCOUNT_SETTINGS, type ApiDeps } from '../config';
import { notify } from '../notifications/notifier';
import { EMAIL_NOT_VERIFIED_MESSAGE, isEmailVerified } from './email-verification';
import type {
  AccountMember,
  AccountSummary,
  CreatedInvitation,
  InvitationView,
} from '../schemas/team-schemas';
import type { ResolvedTenant } from './tenant-resolver';
import type { SubscriptionService } from './subscription-service';

const HOST_MANAGED_MESSAGE =
  "This team's members and roles are managed by the host platform's organization: change them there";

/**
 * Team accounts: creating them, their members and roles, invitations. Every membership change runs in
 * one transaction that first locks the account row (and bumps its membership version), so concurrent
 * changes serialize and "an account always has an owner" is checked against current rows.
 * `onMembershipChanged` runs after the commit (the seat sync).
 */
export function createBillingAccountService(
  deps: ApiDeps,
  subscriptions: SubscriptionService,
  onMembershipChanged: (accountId: string) => void = () => {},
) {
  const { db, now, config } = deps;
  const settings = config.teamAccounts ?? DEFAULT_TEAM_ACCOUNT_SETTINGS;

  async function change<T>(accountId: string, work: (tx: Database) => Promise<T>): Promise<T> {
    const result = await db.transaction(async (tx) => {
      if ((await lockAccountForMembershipChange(tx, accountId)) === null) {
        throw new AppError('ACCOUNT_NOT_FOUND', 'No such account');
      }
      return work(tx);
    });
    onMembershipChanged(accountId);
    return result;
  }

  function requireTeam(account: ResolvedTenant): void {
    if (account.tenant.kind !== 'team') {
      throw new AppError('BAD_REQUEST', 'A personal account has no other members: create a team account');
    }
  }

  /**
   * A host org's team takes who belongs and in which role from the host's tokens: a change made here
   * would be undone by the next token, so it is refused. Removing a member stays possible (it ends the
   * seat and keys of someone the host removed, which the host never tells Tollgate).
   */
  function requireMembersManagedHere(account: ResolvedTenant): void {
    requireTeam(account);
    if (account.hostOrgId !== null) {
      throw new AppError('CONFLICT', HOST_MANAGED_MESSAGE);
    }
  }

  /**
   * The caller's role as it is now, under the account lock: the tier read it before the lock, and a
   * concurrent change may have removed or demoted the caller since.
   */
  async function currentRole(
    tx: Database,
    account: ResolvedTenant,
    action: AccountAction,
  ): Promise<AccountRole> {
    const actor = await findMembership(tx, account.tenant.accountId, account.tenant.userId);
    if (!actor) throw new AppError('ACCOUNT_NOT_FOUND', 'No such account, or you are not a member of it');
    if (!can(actor.role, action))
      throw new AppError('FORBIDDEN', `Your role (${actor.role}) in this account can't do this`);
    return actor.role;
  }

  /** The target's role, or 404 when it isn't a member; and whether the caller (now) may act on it. */
  async function targetRole(tx: Database, account: ResolvedTenant, userId: string): Promise<AccountRole> {
    const actorRole = await currentRole(tx, account, 'manage_members');
    const target = await findMembership(tx, account.tenant.accountId, userId);
    if (!target) throw new AppError('NOT_FOUND', 'No such member in this account');
    if (!canManageMember(actorRole, target.role)) {
      throw new AppError('FORBIDDEN', `Your role (${actorRole}) can't manage a ${target.role}`);
    }
    return target.role;
  }

  /** The start of the account's period in force (member counters are kept per period). */
  async function periodStartOf(account: ResolvedTenant): Promise<Date> {
    const state = await subscriptions.loadState(account.tenant);
    return subscriptions.entitlementOf(state, now()).period.start;
  }

  /**
   * Invitations are emails: at most so many per team a day (exact under the account lock), and to one
   * address an hour from all teams together (exact under the address's lock, which the count takes): a
   * limit per team let anyone with a few teams mail a stranger as often as they liked.
   */
  async function requireInvitationRoom(tx: Database, accountId: string, email: string, at: Date) {
    const dayAgo = new Date(at.getTime() - MS_PER_DAY);
    if ((await countInvitationsSince(tx, { accountId, since: dayAgo })) >= settings.invitationsPerDay) {
      throw new AppError(
        'TOO_MANY_REQUESTS',
        `At most ${settings.invitationsPerDay} invitations can be sent per team per day`,
        { retryAfterSeconds: 3600 },
      );
    }
    const hourAgo = new Date(at.getTime() - MS_PER_HOUR);
    const toAddress = await countInvitationsToAddressSince(tx, { email, since: hourAgo });
    if (toAddress >= settings.invitationsPerAddressPerHour) {
      throw new AppError(
        'TOO_MANY_REQUESTS',
        `This address was invited ${toAddress} times in the last hour: try again later (a link already sent still works)`,
        { retryAfterSeconds: 3600 },
      );
    }
  }

  async function requireAnotherOwner(tx: Database, accountId: string): Promise<void> {
    if ((await countOwners(tx, accountId)) <= 1) {
      throw new AppError('LAST_OWNER', 'An account needs at least one owner: make someone else owner first');
    }
  }

  /** The accept link: ids in the query, the token in the fragment (it never reaches an access log). */
  function invitationUrl(invitation: { accountId: string; id: string }, token: string): string {
    const url = new URL('/invitations/accept', config.appUrl);
    url.searchParams.set('account', invitation.accountId);
    url.searchParams.set('invitation', invitation.id);
    url.hash = `token=${token}`;
    return url.toString();
  }

  return {
    /**
     * The user's accounts. A host org's account is listed only to a token naming that org (`hostAccountId`),
     * the only one that can act on it.
     */
    async list(userId: string, hostAccountId: string | null): Promise<AccountSummary[]> {
      const rows = await listAccountsOfUser(db, userId);
      return rows
        .filter((row) => row.hostOrgId === null || row.id === hostAccountId)
        .map(({ hostOrgId: _hostOrgId, ...row }) => row);
    },

    async create(userId: string, name: string): Promise<AccountSummary> {
      const at = now();
      const created = await db.transaction((tx) =>
        createTeamAccount(tx, { userId, name, now: at, perDayLimit: settings.createLimitPerDay }),
      );
      if (!created.ok) {
        throw new AppError(
          'TOO_MANY_REQUESTS',
          `At most ${settings.createLimitPerDay} team accounts can be created per day`,
        );
      }
      const { account } = created;
      return {
        id: account.id,
        kind: account.kind,
        name: account.name,
        role: 'owner',
        plan: 'FREE',
        createdAt: account.createdAt,
      };
    },

    async get(account: ResolvedTenant): Promise<AccountSummary> {
      const row = await findAccount(db, account.tenant.accountId);
      if (!row) throw new AppError('ACCOUNT_NOT_FOUND', 'No such account');
      const overview = await subscriptions.overview(account.tenant);
      return {
        id: row.id,
        kind: row.kind,
        name: row.name,
        role: account.role ?? 'member',
        plan: overview.plan,
        createdAt: row.createdAt,
      };
    },

    /** Members with their runs in the period in force (usage is shared: every member sees it). */
    async members(account: ResolvedTenant): Promise<AccountMember[]> {
      const [members, used] = await Promise.all([
        listMembers(db, account.tenant.accountId),
        periodStartOf(account).then((start) => memberUsageOfPeriod(db, account.tenant.accountId, start)),
      ]);
      return members.map((member) => ({ ...member, usedThisPeriod: used.get(member.userId) ?? 0 }));
    },

    async setRole(account: ResolvedTenant, userId: string, role: AccountRole): Promise<AccountMember[]> {
      requireMembersManagedHere(account);
      await change(account.tenant.accountId, async (tx) => {
        await currentRole(tx, account, 'manage_roles');
        const current = await findMembership(tx, account.tenant.accountId, userId);
        if (!current) throw new AppError('NOT_FOUND', 'No such member in this account');
        if (current.role === 'owner' && role !== 'owner')
          await requireAnotherOwner(tx, account.tenant.accountId);
        await setMemberRole(tx, account.tenant.accountId, userId, role, now());
      });
      return this.members(account);
    },

    async setMemberCap(
      account: ResolvedTenant,
      userId: string,
      cap: number | null,
    ): Promise<AccountMember[]> {
      requireTeam(account);
      const periodStart = await periodStartOf(account);
      await change(account.tenant.accountId, async (tx) => {
        await targetRole(tx, account, userId);
        await setMemberCap(tx, { accountId: account.tenant.accountId, userId, cap, periodStart });
      });
      return this.members(account);
    },

    async removeMember(account: ResolvedTenant, userId: string): Promise<AccountMember[]> {
      requireTeam(account);
      await change(account.tenant.accountId, async (tx) => {
        const role = await targetRole(tx, account, userId);
        if (role === 'owner') await requireAnotherOwner(tx, account.tenant.accountId);
        await removeMember(tx, account.tenant.accountId, userId, now());
      });
      return this.members(account);
    },

    async leave(account: ResolvedTenant): Promise<{ accountId: string; left: true }> {
      requireMembersManagedHere(account);
      const { accountId, userId } = account.tenant;
      await change(accountId, async (tx) => {
        const current = await findMembership(tx, accountId, userId);
        if (!current) throw new AppError('ACCOUNT_NOT_FOUND', 'No such account');
        if (current.role === 'owner') await requireAnotherOwner(tx, accountId);
        await removeMember(tx, accountId, userId, now());
      });
      return { accountId, left: true };
    },

    /** The target becomes an owner and the caller an admin: never a moment without an owner. */
    async transferOwnership(account: ResolvedTenant, userId: string): Promise<AccountMember[]> {
      requireMembersManagedHere(account);
      const { accountId } = account.tenant;
      if (userId === account.tenant.userId) throw new AppError('BAD_REQUEST', 'You already own this account');
      await change(accountId, async (tx) => {
        await currentRole(tx, account, 'manage_roles');
        if (!(await findMembership(tx, accountId, userId))) {
          throw new AppError('NOT_FOUND', 'No such member in this account');
        }
        await setMemberRole(tx, accountId, userId, 'owner', now());
        await setMemberRole(tx, accountId, account.tenant.userId, 'admin', now());
      });
      return this.members(account);
    },

    /**
     * A single-use link for `email`, emailed to it and returned to the inviter (to share another way).
     * The token is in the URL's fragment, so it never reaches an access log.
     */
    async invite(
      account: ResolvedTenant,
      email: string,
      role: 'admin' | 'member',
    ): Promise<CreatedInvitation> {
      requireMembersManagedHere(account);
      if (account.role === null || !canManageMember(account.role, role)) {
        throw new AppError('FORBIDDEN', `Your role (${account.role ?? 'none'}) can't invite an ${role}`);
      }
      const token = randomToken();
      const at = now();
      const { invitation, url } = await change(account.tenant.accountId, async (tx) => {
        const actorRole = await currentRole(tx, account, 'manage_members');
        if (!canManageMember(actorRole, role)) {
          throw new AppError('FORBIDDEN', `Your role (${actorRole}) can't invite an ${role}`);
        }
        // The email names its inviter: only an address that is theirs (verified, or vouched for by the
        // host platform). The router checked it before the lock; this is the row the email is made of.
        const inviter = await findUserById(tx, account.tenant.userId);
        if (!inviter || !isEmailVerified(inviter)) {
          throw new AppError('EMAIL_NOT_VERIFIED', EMAIL_NOT_VERIFIED_MESSAGE);
        }
        await requireInvitationRoom(tx, account.tenant.accountId, normalizeEmail(email), at);
        const created = await replaceInvitation(tx, {
          accountId: account.tenant.accountId,
          email: normalizeEmail(email),
          role,
          tokenHash: hashSecret(token),
          invitedByUserId: account.tenant.userId,
          now: at,
          expiresAt: new Date(at.getTime() + settings.invitationTtlDays * MS_PER_DAY),
          replaceableRoles: INVITATION_ROLES.filter((invited) => canManageMember(actorRole, invited)),
        });
        if (!created) {
          throw new AppError(
            'FORBIDDEN',
            `A pending invitation for this address grants a role yours (${actorRole}) can't manage; an owner can replace or revoke it`,
          );
        }
        const acceptUrl = invitationUrl(created, token);
        // The email is enqueued with the invitation (same transaction; sent after commit), once per
        // invitation id: a re-invite replaces the invitation and sends its new link.
        const accountRow = await findAccount(tx, created.accountId);
        await notify(
          tx,
          {
            email: {
              kind: 'team_invitation',
              accountName: accountRow?.name ?? 'a team',
              inviterEmail: inviter.email ?? 'A team admin',
              role,
              acceptUrl,
              expiresAt: created.expiresAt,
            },
            accountId: created.accountId,
            key: created.id,
            audience: { to: 'address', address: created.email },
          },
          at,
        );
        return { invitation: created, url: acceptUrl };
      });
      return { ...toInvitationView(invitation), token, url };
    },

    async invitations(account: ResolvedTenant): Promise<InvitationView[]> {
      requireTeam(account);
      return (await listPendingInvitations(db, account.tenant.accountId)).map(toInvitationView);
    },

    async revokeInvitation(
      account: ResolvedTenant,
      invitationId: string,
    ): Promise<{ id: string; revoked: true }> {
      requireTeam(account);
      const isRevoked = await change(account.tenant.accountId, async (tx) => {
        const actorRole = await currentRole(tx, account, 'manage_members');
        // Only invitations the caller could have sent (an admin: those granting `member`).
        const roles = INVITATION_ROLES.filter((role) => canManageMember(actorRole, role));
        return revokeInvitation(tx, { accountId: account.tenant.accountId, invitationId, roles, now: now() });
      });
      if (!isRevoked)
        throw new AppError('NOT_FOUND', 'No pending invitation with this id that you may revoke');
      return { id: invitationId, revoked: true };
    },

    /** Joins the account with the invitation's role (a member already keeps the role they have). */
    async accept(
      userId: string,
      input: { accountId: string; invitationId: string; token: string },
    ): Promise<AccountSummary> {
      const at = now();
      await change(input.accountId, async (tx) => {
        // A link sent before its team became a host org's (or before invitations there were refused)
        // would add a member the host doesn't know: one who could never act there, yet a seat.
        if ((await findAccount(tx, input.accountId))?.hostOrgId) {
          throw new AppError('CONFLICT', HOST_MANAGED_MESSAGE);
        }
        const claimed = await claimInvitation(tx, {
          accountId: input.accountId,
          invitationId: input.invitationId,
          tokenHash: hashSecret(input.token),
          userId,
          now: at,
        });
        if (!claimed) {
          throw new AppError(
            'INVITATION_INVALID',
            'This invitation is unknown, expired, revoked or already used',
          );
        }
        await addMember(tx, { accountId: input.accountId, userId, role: claimed.role, now: at });
      }).catch((error: unknown) => {
        // An account id that doesn't exist is the same "invalid link" as any other.
        if (error instanceof AppError && error.code === 'ACCOUNT_NOT_FOUND') {
          throw new AppError(
            'INVITATION_INVALID',
            'This invitation is unknown, expired, revoked or already used',
          );
        }
        throw error;
      });
      const membership = await findMembership(db, input.accountId, userId);
      const account = await findAccount(db, input.accountId);
      if (!membership || !account) throw new AppError('ACCOUNT_NOT_FOUND', 'No such account');
      const overview = await subscriptions.overview({ accountId: account.id, userId, kind: account.kind });
      return {
        id: account.id,
        kind: account.kind,
        name: account.name,
        role: membership.role,
        plan: overview.plan,
        createdAt: account.createdAt,
      };
    },
  };
}

function toInvitationView(row: {
  id: string;
  accountId: string;
  email: string;
  role: 'admin' | 'member';
  createdAt: Date;
  expiresAt: Date;
}): InvitationView {
  return {
    id: row.id,
    accountId: row.accountId,
    email: row.email,
    role: row.role,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}

export type BillingAccountService = ReturnType<typeof createBillingAccountService>;
