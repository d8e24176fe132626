import {
  findAccount,
  findLedgerEntry,
  findMembership,
  personalAccountId,
  type Membership,
} from '@tollgate/db';
import { AppError, can, type AccountAction, type AccountRole } from '@tollgate/domain';
import type { Actor } from '../actor';
import type { ApiDeps } from '../config';
import { personalTenant, type Tenant } from '../tenant';
import type { AccountService } from './account-service';

type UserActor = Extract<Actor, { kind: 'user' }>;
type ServiceActor = Extract<Actor, { kind: 'service' }>;

/** The account a call acts on, as checked against the memberships (never trusted from the request). */
export interface ResolvedTenant {
  tenant: Tenant;
  /** The acting user's role there (null when a service key acts). */
  role: AccountRole | null;
  /**
   * The host platform's organization the account stands for (JWT_ORG_CLAIM), else null: its members
   * and roles come from the host's tokens.
   */
  hostOrgId: string | null;
}

/** What a call names: an account (header or input) and, for services, the member it acts for. */
export interface TenantRequest {
  accountId?: string | undefined;
  userId?: string | undefined;
  /**
   * The run the call acts on when it already exists (usage.start, usage.release, usage.settle, never
   * usage.authorize): the member it was reserved for may be named after leaving the account.
   */
  runId?: string | undefined;
}

const NOT_FOUND_MESSAGE = 'No such account, or you are not a member of it';

/**
 * Decides which account a call acts on and as whom. A call naming no account acts on the caller's
 * personal account (what every client did before accounts existed). A named account is checked
 * against the memberships on every call (a primary-key probe): not a member → 404 ACCOUNT_NOT_FOUND
 * (the same answer as an account that doesn't exist, so ids can't be probed); a member whose role
 * can't do `action` → 403.
 */
export function createTenantResolver(deps: ApiDeps, users: AccountService) {
  const { db } = deps;

  async function membershipOrNotFound(accountId: string, userId: string): Promise<Membership> {
    const membership = await findMembership(db, accountId, userId);
    if (!membership) throw new AppError('ACCOUNT_NOT_FOUND', NOT_FOUND_MESSAGE);
    return membership;
  }

  /** A signed-in user acting on an account it belongs to. */
  async function forUser(
    actor: UserActor,
    requestedAccountId: string | null,
    action: AccountAction,
  ): Promise<ResolvedTenant> {
    // A host token naming an organization acts on its team account unless the call names another.
    const accountId = requestedAccountId ?? actor.hostAccountId ?? null;
    const personal = personalAccountId(actor.userId);
    if (accountId === null || accountId === personal) {
      // Every user owns its personal account (made with the user, or on its first call): no read needed.
      return { tenant: personalTenant(actor.userId), role: 'owner', hostOrgId: null };
    }
    const membership = await membershipOrNotFound(accountId, actor.userId);
    // A host org's account is acted on only with a token naming that org: the host is the authority on
    // who belongs, and never tells Tollgate of a removal, so the membership row outlives it.
    if (membership.hostOrgId !== null && actor.hostAccountId !== accountId) {
      throw new AppError('ACCOUNT_NOT_FOUND', NOT_FOUND_MESSAGE);
    }
    if (!can(membership.role, action)) {
      throw new AppError('FORBIDDEN', `Your role (${membership.role}) in this account can't do this`);
    }
    return {
      tenant: { accountId, userId: actor.userId, kind: membership.kind },
      role: membership.role,
      hostOrgId: membership.hostOrgId,
    };
  }

  /**
   * A service key acting for a member of an account. A platform key (made by operators) may name any
   * account: `userId` alone means that user's personal account; with `accountId`, `userId` must be a
   * member (and is required on a team account: every run records who ran it). An account key acts
   * only for its own account.
   *
   * One exception, for a call on a run that already exists (`runId`: start, release, settle): the
   * member the run was reserved for may have left or been removed since. Requiring the membership
   * there let nobody settle the run (its overrun went uncharged: the sweeper settles at the estimate)
   * nor release it (its units held until the start sweeper). So when `userId` is no longer a member
   * but is the member on that run's ledger row, the call goes on; the transition itself still admits
   * only the key that reserved the run, and the run's own member counter is charged (the ledger row's
   * user). Nothing else is widened: a new charge (authorize) still needs a current member, an account
   * key still only its own account, and any other non-member is the same 404 as before.
   */
  async function forService(actor: ServiceActor, request: TenantRequest): Promise<ResolvedTenant> {
    const accountId = actor.accountId ?? request.accountId ?? null;
    if (
      actor.accountId !== null &&
      request.accountId !== undefined &&
      request.accountId !== actor.accountId
    ) {
      throw new AppError('FORBIDDEN', 'This API key acts only for its own account');
    }
    if (accountId === null) {
      if (request.userId === undefined) {
        throw new AppError('BAD_REQUEST', 'userId is required with a service API key');
      }
      await users.requireKnownUser(request.userId);
      return { tenant: personalTenant(request.userId), role: null, hostOrgId: null };
    }
    if (request.userId === undefined) {
      throw new AppError('BAD_REQUEST', 'userId (the member the call is for) is required with accountId');
    }
    const membership = await findMembership(db, accountId, request.userId);
    if (!membership) {
      // A platform key naming someone's personal account by id, before that user's first call.
      if (actor.accountId === null && accountId === personalAccountId(request.userId)) {
        await users.requireKnownUser(request.userId);
        return { tenant: personalTenant(request.userId), role: null, hostOrgId: null };
      }
      if (request.runId !== undefined) {
        const former = await formerMemberOfRun(accountId, request.userId, request.runId);
        if (former) return former;
      }
      throw new AppError('ACCOUNT_NOT_FOUND', 'No such account, or userId is not one of its members');
    }
    return {
      tenant: { accountId, userId: request.userId, kind: membership.kind },
      role: null,
      hostOrgId: membership.hostOrgId,
    };
  }

  /** The tenant of a run whose member (`userId`) is no longer a member of its account, else null. */
  async function formerMemberOfRun(
    accountId: string,
    userId: string,
    runId: string,
  ): Promise<ResolvedTenant | null> {
    const entry = await findLedgerEntry(db, { accountId, runId });
    if (entry?.userId !== userId) return null;
    const account = await findAccount(db, accountId);
    if (!account) return null;
    return {
      tenant: { accountId, userId, kind: account.kind },
      role: null,
      hostOrgId: account.hostOrgId,
    };
  }

  return { forUser, forService };
}

export type TenantResolver = ReturnType<typeof createTenantResolver>;
