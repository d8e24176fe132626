import { and, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { accountInvitations } from '../schema';
import type { AccountInvitationRow, InvitationRole } from '../schema';
import { normalizeEmail } from './users';

export interface NewInvitation {
  accountId: string;
  email: string;
  role: InvitationRole;
  tokenHash: string;
  invitedByUserId: string;
  now: Date;
  expiresAt: Date;
}

/**
 * A new invitation for this address, replacing (revoking) a pending one for the same address: the
 * link sent last is the one that works. Run it in the membership change's transaction. Null, and
 * nothing changed, when the pending one grants a role outside `replaceableRoles` (the roles the
 * inviter may manage): re-inviting would otherwise revoke an invitation they may not revoke.
 */
export async function replaceInvitation(
  tx: Database,
  input: NewInvitation & { replaceableRoles: readonly InvitationRole[] },
): Promise<AccountInvitationRow | null> {
  const [held] = await tx
    .select({ role: accountInvitations.role })
    .from(accountInvitations)
    .where(and(...pending(input.accountId), eq(accountInvitations.email, input.email)))
    .for('update');
  if (held && !input.replaceableRoles.includes(held.role)) return null;
  await tx
    .update(accountInvitations)
    .set({ revokedAt: input.now })
    .where(and(...pending(input.accountId), eq(accountInvitations.email, input.email)));
  const [row] = await tx
    .insert(accountInvitations)
    .values({
      accountId: input.accountId,
      email: input.email,
      role: input.role,
      tokenHash: input.tokenHash,
      invitedByUserId: input.invitedByUserId,
      createdAt: input.now,
      expiresAt: input.expiresAt,
    })
    .returning();
  if (!row) throw new Error('replaceInvitation: insert returned no row');
  return row;
}

/**
 * Invitations made for the account since `since` (pending, replaced, revoked or accepted alike: each
 * one was an email): the team's daily limit. Under the account's lock the count is exact.
 */
export async function countInvitationsSince(
  db: Database,
  input: { accountId: string; since: Date },
): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(accountInvitations)
    .where(
      and(eq(accountInvitations.accountId, input.accountId), gt(accountInvitations.createdAt, input.since)),
    );
  return row?.count ?? 0;
}

/**
 * Invitations made to `email` since `since` by every team (each one was an email to that address): the
 * per-address limit is the address's, not a team's, or a stranger could be mailed by any number of
 * teams. Cross-account by design (docs/scaling.md); `account_invitations_email_created_idx` serves it
 * (addresses are stored normalized: lower case, the CHECK keeps them so). Run it in the invitation's
 * transaction: it first takes the address's transaction-scoped advisory lock, so concurrent invitations
 * to one address from different teams (which the account lock doesn't order) take turns and each counts
 * the ones committed before it.
 */
export async function countInvitationsToAddressSince(
  tx: Database,
  input: { email: string; since: Date },
): Promise<number> {
  const email = normalizeEmail(input.email);
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtext('tollgate:invitation-address'), hashtext(${email}))`,
  );
  const [row] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(accountInvitations)
    .where(and(eq(accountInvitations.email, email), gt(accountInvitations.createdAt, input.since)));
  return row?.count ?? 0;
}

/** Pending (not accepted, not revoked) invitations, newest first; expired ones included, marked by expiresAt. */
export async function listPendingInvitations(
  db: Database,
  accountId: string,
): Promise<AccountInvitationRow[]> {
  return db
    .select()
    .from(accountInvitations)
    .where(and(...pending(accountId)))
    .orderBy(desc(accountInvitations.createdAt));
}

/** Revokes a pending invitation granting one of `roles` (those the caller may manage). */
export async function revokeInvitation(
  tx: Database,
  input: { accountId: string; invitationId: string; roles: readonly InvitationRole[]; now: Date },
): Promise<boolean> {
  if (input.roles.length === 0) return false;
  const revoked = await tx
    .update(accountInvitations)
    .set({ revokedAt: input.now })
    .where(
      and(
        ...pending(input.accountId),
        eq(accountInvitations.id, input.invitationId),
        inArray(accountInvitations.role, [...input.roles]),
      ),
    )
    .returning({ id: accountInvitations.id });
  return revoked.length > 0;
}

/**
 * Uses the invitation: ONE conditional UPDATE (pending, unexpired, this token), so of concurrent
 * accepts exactly one gets the row; every later one gets null. The caller adds the membership in the
 * same transaction.
 */
export async function claimInvitation(
  tx: Database,
  input: { accountId: string; invitationId: string; tokenHash: string; userId: string; now: Date },
): Promise<AccountInvitationRow | null> {
  const [row] = await tx
    .update(accountInvitations)
    .set({ acceptedAt: input.now, acceptedByUserId: input.userId })
    .where(
      and(
        ...pending(input.accountId),
        eq(accountInvitations.id, input.invitationId),
        eq(accountInvitations.tokenHash, input.tokenHash),
        gt(accountInvitations.expiresAt, sql`${input.now.toISOString()}::timestamptz`),
      ),
    )
    .returning();
  return row ?? null;
}

function pending(accountId: string) {
  return [
    eq(accountInvitations.accountId, accountId),
    isNull(accountInvitations.acceptedAt),
    isNull(accountInvitations.revokedAt),
  ];
}
