import { randomUUID } from 'node:crypto';
import { and, count, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { personalAccountId } from '../personal-account-id';
import { accountMemberships, accounts, users } from '../schema';
import { MS_PER_DAY, type AccountRole } from '@tollgate/domain';
import type { AccountRow } from '../schema';
import { capKeptAtRemoval, forgetCapKeptAtRemoval } from './account-memberships';
import { revokeGrantsBeyondRole } from './member-grants';
import { ensureFreeSubscription } from './subscriptions';
import { ensureUser } from './users';

/**
 * The user's personal account, with its owner membership and FREE subscription: made at sign-up (and at
 * a host user's first call). Each step is idempotent (ON CONFLICT DO NOTHING on a key), so concurrent
 * first calls are harmless and a call that failed half-way is completed by the next one. Its creation
 * time is the user's, which anchors FREE periods. The user row must exist.
 */
export async function ensurePersonalAccount(db: Database, userId: string, now: Date): Promise<string> {
  const accountId = personalAccountId(userId);
  await db.execute(sql`
    insert into accounts (id, kind, personal_user_id, created_by_user_id, created_at)
    select ${accountId}::uuid, 'personal', u.id, u.id, u.created_at from users u where u.id = ${userId}
    on conflict do nothing`);
  await db
    .insert(accountMemberships)
    .values({ accountId, userId, role: 'owner', createdAt: now })
    .onConflictDoNothing();
  await ensureFreeSubscription(db, accountId, now);
  return accountId;
}

export async function findAccount(db: Database, accountId: string): Promise<AccountRow | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
  return row ?? null;
}

/**
 * A host platform's user (vouched for by its JWT) with its personal account: what the first call of a
 * user Tollgate hasn't seen makes. Idempotent. The account id.
 */
export async function ensureHostUserAccount(db: Database, userId: string, now: Date): Promise<string> {
  await ensureUser(db, userId, now);
  return ensurePersonalAccount(db, userId, now);
}

export type CreateTeamResult = { ok: true; account: AccountRow } | { ok: false; reason: 'rate_limited' };

/**
 * A new team account owned by its creator, with a FREE subscription row (a team without a paid plan
 * has no runs: the entitlement says so). At most `perDayLimit` per user per rolling day, counted under
 * the creator's users-row lock: exact across processes and concurrent requests.
 */
export async function createTeamAccount(
  tx: Database,
  input: { userId: string; name: string; now: Date; perDayLimit: number },
): Promise<CreateTeamResult> {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId)).for('update');
  const since = new Date(input.now.getTime() - MS_PER_DAY);
  const [recent] = await tx
    .select({ total: count() })
    .from(accounts)
    .where(
      and(
        eq(accounts.createdByUserId, input.userId),
        eq(accounts.kind, 'team'),
        gt(accounts.createdAt, sql`${since.toISOString()}::timestamptz`),
      ),
    );
  if ((recent?.total ?? 0) >= input.perDayLimit) return { ok: false, reason: 'rate_limited' };
  const [account] = await tx
    .insert(accounts)
    .values({
      id: randomUUID(),
      kind: 'team',
      name: input.name,
      createdByUserId: input.userId,
      createdAt: input.now,
    })
    .returning();
  if (!account) throw new Error('createTeamAccount: insert returned no row');
  await tx
    .insert(accountMemberships)
    .values({ accountId: account.id, userId: input.userId, role: 'owner', createdAt: input.now });
  await ensureFreeSubscription(tx, account.id, input.now);
  return { ok: true, account };
}

/**
 * The team account standing for a host platform's organization, with this user a member in the role
 * the host's token claims: made on first use (idempotent, concurrent first calls are harmless). Its
 * first member becomes an owner (an account always has one); later claims change roles, except that
 * the last owner is never demoted by one. In one transaction under the account's lock. The account id.
 */
export async function ensureHostOrgAccount(
  db: Database,
  input: { orgId: string; userId: string; role: AccountRole; now: Date },
): Promise<string> {
  return db.transaction(async (tx) => {
    await tx
      .insert(accounts)
      .values({
        id: randomUUID(),
        kind: 'team',
        name: input.orgId,
        hostOrgId: input.orgId,
        createdByUserId: input.userId,
        createdAt: input.now,
      })
      .onConflictDoNothing({ target: accounts.hostOrgId });
    const [account] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.hostOrgId, input.orgId))
      .for('update');
    if (!account) throw new Error('ensureHostOrgAccount: account missing after insert');
    await ensureFreeSubscription(tx, account.id, input.now);
    const members = await tx
      .select({ userId: accountMemberships.userId, role: accountMemberships.role })
      .from(accountMemberships)
      .where(eq(accountMemberships.accountId, account.id));
    const owners = members.filter((member) => member.role === 'owner').length;
    const current = members.find((member) => member.userId === input.userId);
    if (!current) {
      // Someone an owner or admin removed comes back with their next token: with the cap they had.
      await tx.insert(accountMemberships).values({
        accountId: account.id,
        userId: input.userId,
        role: owners === 0 ? 'owner' : input.role,
        monthlyRunCap: capKeptAtRemoval(account.id, input.userId),
        createdAt: input.now,
      });
      await forgetCapKeptAtRemoval(tx, account.id, input.userId);
    } else if (current.role !== input.role && !(current.role === 'owner' && owners <= 1)) {
      await tx
        .update(accountMemberships)
        .set({ role: input.role })
        .where(
          and(eq(accountMemberships.accountId, account.id), eq(accountMemberships.userId, input.userId)),
        );
      // A demotion by the host ends what the old role handed out, as any other role change does.
      await revokeGrantsBeyondRole(tx, {
        accountId: account.id,
        userId: input.userId,
        role: input.role,
        now: input.now,
      });
    } else {
      return account.id;
    }
    await tx.execute(
      sql`update accounts set membership_version = membership_version + 1 where id = ${account.id}`,
    );
    return account.id;
  });
}
