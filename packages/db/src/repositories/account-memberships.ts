import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { accountMemberships, accounts, removedMemberCaps, subscriptions, users } from '../schema';
import { revokeGrantsBeyondRole } from './member-grants';
import type { PlanId } from '@tollgate/domain';
import type { AccountKind, MembershipRole } from '../schema';

/** What the tier that resolves the active account reads on every call: one primary-key probe. */
export interface Membership {
  accountId: string;
  kind: AccountKind;
  role: MembershipRole;
  /** The host platform's organization the account stands for (JWT_ORG_CLAIM), else null. */
  hostOrgId: string | null;
}

export async function findMembership(
  db: Database,
  accountId: string,
  userId: string,
): Promise<Membership | null> {
  const [row] = await db
    .select({
      accountId: accounts.id,
      kind: accounts.kind,
      role: accountMemberships.role,
      hostOrgId: accounts.hostOrgId,
    })
    .from(accountMemberships)
    .innerJoin(accounts, eq(accounts.id, accountMemberships.accountId))
    .where(and(eq(accountMemberships.accountId, accountId), eq(accountMemberships.userId, userId)))
    .limit(1);
  return row ?? null;
}

export interface AccountOfUser {
  id: string;
  kind: AccountKind;
  name: string | null;
  role: MembershipRole;
  plan: PlanId;
  createdAt: Date;
  hostOrgId: string | null;
}

/** Every account the user belongs to, its personal one first, then teams by creation. */
export async function listAccountsOfUser(db: Database, userId: string): Promise<AccountOfUser[]> {
  return db
    .select({
      id: accounts.id,
      kind: accounts.kind,
      name: accounts.name,
      role: accountMemberships.role,
      plan: subscriptions.plan,
      createdAt: accounts.createdAt,
      hostOrgId: accounts.hostOrgId,
    })
    .from(accountMemberships)
    .innerJoin(accounts, eq(accounts.id, accountMemberships.accountId))
    .innerJoin(subscriptions, eq(subscriptions.accountId, accounts.id))
    .where(eq(accountMemberships.userId, userId))
    .orderBy(sql`${accounts.kind} = 'team'`, asc(accounts.createdAt), asc(accounts.id));
}

export interface MemberRow {
  userId: string;
  email: string | null;
  role: MembershipRole;
  monthlyRunCap: number | null;
  joinedAt: Date;
}

export async function listMembers(db: Database, accountId: string): Promise<MemberRow[]> {
  return db
    .select({
      userId: accountMemberships.userId,
      email: users.email,
      role: accountMemberships.role,
      monthlyRunCap: accountMemberships.monthlyRunCap,
      joinedAt: accountMemberships.createdAt,
    })
    .from(accountMemberships)
    .innerJoin(users, eq(users.id, accountMemberships.userId))
    .where(eq(accountMemberships.accountId, accountId))
    .orderBy(asc(accountMemberships.createdAt), asc(accountMemberships.userId));
}

/**
 * The member's role read under a share lock of the account row, for a grant made in the caller's
 * transaction (an account API key): a membership change (which locks the row for update) waits for
 * that transaction and then revokes the grant, or committed before and the role read is its result.
 * Null when the user is not a member.
 */
export async function findMembershipForGrant(
  tx: Database,
  accountId: string,
  userId: string,
): Promise<Membership | null> {
  await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for('share');
  return findMembership(tx, accountId, userId);
}

/**
 * Locks the account row for a membership change and bumps its membership version (the seat sync's
 * idempotency key). Every change locks it first, so two owners removing each other serialize and the
 * owner count each reads is current. Returns the new version, or null when the account doesn't exist.
 */
export async function lockAccountForMembershipChange(
  tx: Database,
  accountId: string,
): Promise<number | null> {
  const [row] = await queryRows<{ membership_version: string | number }>(
    tx,
    sql`update accounts set membership_version = membership_version + 1
        where id = ${accountId} returning membership_version`,
  );
  return row ? Number(row.membership_version) : null;
}

export async function countOwners(tx: Database, accountId: string): Promise<number> {
  const [row] = await tx
    .select({ total: count() })
    .from(accountMemberships)
    .where(and(eq(accountMemberships.accountId, accountId), eq(accountMemberships.role, 'owner')));
  return row?.total ?? 0;
}

export async function countMembers(db: Database, accountId: string): Promise<number> {
  const [row] = await db
    .select({ total: count() })
    .from(accountMemberships)
    .where(eq(accountMemberships.accountId, accountId));
  return row?.total ?? 0;
}

/**
 * Adds a member (no-op when already one: the role they have is kept). true when added. Someone removed
 * and invited back gets the cap they had when removed (removed_member_caps, written by removeMember):
 * removing and re-inviting never lifts a cap, whether or not the period had run yet.
 */
export async function addMember(
  tx: Database,
  input: { accountId: string; userId: string; role: MembershipRole; now: Date },
): Promise<boolean> {
  const inserted = await tx
    .insert(accountMemberships)
    .values({
      accountId: input.accountId,
      userId: input.userId,
      role: input.role,
      monthlyRunCap: capKeptAtRemoval(input.accountId, input.userId),
      createdAt: input.now,
    })
    .onConflictDoNothing()
    .returning({ userId: accountMemberships.userId });
  if (inserted.length === 0) return false;
  await forgetCapKeptAtRemoval(tx, input.accountId, input.userId);
  return true;
}

/**
 * The cap a removed member had (null: none), for the membership row that brings them back. Callers
 * hold the account's membership lock (lockAccountForMembershipChange, or ensureHostOrgAccount's row
 * lock), as removeMember does: a removal and a return of one member never interleave.
 */
export function capKeptAtRemoval(accountId: string, userId: string) {
  return sql<number | null>`(
    select r.monthly_run_cap from removed_member_caps r
    where r.account_id = ${accountId} and r.user_id = ${userId})`;
}

/** The kept cap is the membership's again: drop the copy (after the membership row is inserted). */
export async function forgetCapKeptAtRemoval(tx: Database, accountId: string, userId: string): Promise<void> {
  await tx
    .delete(removedMemberCaps)
    .where(and(eq(removedMemberCaps.accountId, accountId), eq(removedMemberCaps.userId, userId)));
}

/** Changes a member's role; what they handed out beyond the new role's power is revoked with it. */
export async function setMemberRole(
  tx: Database,
  accountId: string,
  userId: string,
  role: MembershipRole,
  now: Date = new Date(),
): Promise<boolean> {
  const updated = await tx
    .update(accountMemberships)
    .set({ role })
    .where(and(eq(accountMemberships.accountId, accountId), eq(accountMemberships.userId, userId)))
    .returning({ userId: accountMemberships.userId });
  if (updated.length === 0) return false;
  await revokeGrantsBeyondRole(tx, { accountId, userId, role, now });
  return true;
}

/**
 * Sets a member's monthly cap, and the cap on its counter of the period in force (so it applies to the
 * very next run): the counter row is upserted, touching only that one row.
 */
export async function setMemberCap(
  tx: Database,
  input: { accountId: string; userId: string; cap: number | null; periodStart: Date | null },
): Promise<boolean> {
  const updated = await tx
    .update(accountMemberships)
    .set({ monthlyRunCap: input.cap })
    .where(
      and(eq(accountMemberships.accountId, input.accountId), eq(accountMemberships.userId, input.userId)),
    )
    .returning({ userId: accountMemberships.userId });
  if (updated.length === 0) return false;
  if (input.periodStart) {
    // The period row locked first, as reservations do (see ensureMemberPeriodRows: an insert's
    // foreign-key check on a period row reservations queue on made PostgreSQL break deadlocks).
    await tx.execute(sql`
      with period as materialized (
        select p.account_id, p.id from usage_periods p
        where p.account_id = ${input.accountId} and p.period_start = ${input.periodStart.toISOString()}::timestamptz
        for no key update
      )
      insert into member_usage_periods (account_id, period_id, user_id, run_cap)
      select account_id, id, ${input.userId}, ${input.cap}::int from period
      on conflict (account_id, period_id, user_id) do update set run_cap = excluded.run_cap`);
  }
  return true;
}

/**
 * Removes a member; the API keys they made for the account and the invitations they sent are revoked.
 * Their cap is kept (removed_member_caps) for when they come back: the membership row was its only
 * durable copy (a period's counter row carries it only once the period has run).
 */
export async function removeMember(
  tx: Database,
  accountId: string,
  userId: string,
  now: Date = new Date(),
): Promise<boolean> {
  const [removed] = await tx
    .delete(accountMemberships)
    .where(and(eq(accountMemberships.accountId, accountId), eq(accountMemberships.userId, userId)))
    .returning({ userId: accountMemberships.userId, monthlyRunCap: accountMemberships.monthlyRunCap });
  if (!removed) return false;
  if (removed.monthlyRunCap !== null) {
    await tx
      .insert(removedMemberCaps)
      .values({ accountId, userId, monthlyRunCap: removed.monthlyRunCap, removedAt: now })
      .onConflictDoUpdate({
        target: [removedMemberCaps.accountId, removedMemberCaps.userId],
        set: { monthlyRunCap: removed.monthlyRunCap, removedAt: now },
      });
  } else {
    await forgetCapKeptAtRemoval(tx, accountId, userId);
  }
  await revokeGrantsBeyondRole(tx, { accountId, userId, role: null, now });
  return true;
}

/** Each member's runs in one of the account's periods (members who ran nothing are absent). */
export async function memberUsageOfPeriod(
  db: Database,
  accountId: string,
  periodStart: Date,
): Promise<Map<string, number>> {
  const rows = await queryRows<{ user_id: string; used: number }>(
    db,
    sql`select m.user_id, m.used from member_usage_periods m
        join usage_periods p on p.account_id = m.account_id and p.id = m.period_id
        where p.account_id = ${accountId} and p.period_start = ${periodStart.toISOString()}::timestamptz`,
  );
  return new Map(rows.map((row) => [row.user_id, Number(row.used)]));
}
