import { count, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  accountMemberships,
  accounts,
  agentRuns,
  agentSessions,
  createSession,
  createUser,
  duplicateSubscriptions,
  ensureHostUserAccount,
  ensurePersonalAccount,
  findAccount,
  getSubscriptionState,
  insertRun,
  memberUsagePeriods,
  personalAccountId,
  pgErrorCode,
  PG_CHECK_VIOLATION,
  queryRows,
  recordDuplicateSubscription,
  reserveRuns,
  subscriptions,
  usageLedger,
  usagePeriods,
  users,
} from '../src';
import type { Database } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { runOf } from './reservation-helpers';

const handle = useTestDb();

const CREATED = new Date('2025-01-15T10:00:00Z');
const NOW = new Date('2025-03-10T12:00:00Z');

// Every table whose rows belong to an account (the tenant), with its account column.
const TENANT_TABLES = [
  { name: 'account_memberships', table: accountMemberships, accountId: accountMemberships.accountId },
  { name: 'subscriptions', table: subscriptions, accountId: subscriptions.accountId },
  { name: 'usage_periods', table: usagePeriods, accountId: usagePeriods.accountId },
  { name: 'usage_ledger', table: usageLedger, accountId: usageLedger.accountId },
  { name: 'member_usage_periods', table: memberUsagePeriods, accountId: memberUsagePeriods.accountId },
  { name: 'agent_sessions', table: agentSessions, accountId: agentSessions.accountId },
  { name: 'agent_runs', table: agentRuns, accountId: agentRuns.accountId },
  {
    name: 'duplicate_subscriptions',
    table: duplicateSubscriptions,
    accountId: duplicateSubscriptions.accountId,
  },
] as const;

/** Rows per tenant table (and the account row itself) that belong to the account. */
async function rowsOfAccount(db: Database, accountId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const [account] = await db.select({ n: count() }).from(accounts).where(eq(accounts.id, accountId));
  counts.accounts = account?.n ?? 0;
  for (const { name, table, accountId: column } of TENANT_TABLES) {
    const [row] = await db.select({ n: count() }).from(table).where(eq(column, accountId));
    counts[name] = row?.n ?? 0;
  }
  return counts;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (caught: unknown) => caught,
  );
}

describe('ensurePersonalAccount', () => {
  it('10 concurrent first calls make one account, one owner membership and one FREE subscription', async () => {
    const user = await createUser(handle.db, { email: 'first@example.test', createdAt: CREATED });
    const ids = await Promise.all(
      Array.from({ length: 10 }, () => ensurePersonalAccount(handle.db, user.id, NOW)),
    );
    const accountId = personalAccountId(user.id);
    expect(new Set(ids)).toEqual(new Set([accountId]));
    expect(await handle.db.select().from(accounts)).toEqual([
      expect.objectContaining({
        id: accountId,
        kind: 'personal',
        personalUserId: user.id,
        createdByUserId: user.id,
      }),
    ]);
    expect(await handle.db.select().from(accountMemberships)).toEqual([
      expect.objectContaining({ accountId, userId: user.id, role: 'owner' }),
    ]);
    expect(await handle.db.select().from(subscriptions)).toEqual([
      expect.objectContaining({ accountId, plan: 'FREE', status: 'active', trialUsedAt: null }),
    ]);
    // A later call changes nothing.
    const before = await rowsOfAccount(handle.db, accountId);
    expect(await ensurePersonalAccount(handle.db, user.id, new Date(NOW.getTime() + 60_000))).toBe(accountId);
    expect(await rowsOfAccount(handle.db, accountId)).toEqual(before);
    expect((await handle.db.select().from(subscriptions))[0]?.createdAt).toEqual(NOW);
  });

  it('10 concurrent first calls of a host user Tollgate has not seen make one user and one account', async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, () => ensureHostUserAccount(handle.db, 'auth0|new-host-user', NOW)),
    );
    expect(new Set(ids)).toEqual(new Set([personalAccountId('auth0|new-host-user')]));
    const [user] = await handle.db.select().from(users);
    expect(user).toMatchObject({ id: 'auth0|new-host-user', authSource: 'host', createdAt: NOW });
    expect(await rowsOfAccount(handle.db, personalAccountId('auth0|new-host-user'))).toMatchObject({
      accounts: 1,
      account_memberships: 1,
      subscriptions: 1,
    });
  });

  it("the account is created at the user's creation instant, which anchors FREE periods", async () => {
    const user = await createUser(handle.db, { email: 'anchor@example.test', createdAt: CREATED });
    // Made long after the user (a user from before billing accounts, or a retried sign-up).
    const accountId = await ensurePersonalAccount(handle.db, user.id, NOW);
    const account = await findAccount(handle.db, accountId);
    expect(account?.createdAt).toEqual(user.createdAt);
    expect(account?.createdAt).toEqual(CREATED);
    expect((await getSubscriptionState(handle.db, accountId))?.accountCreatedAt).toEqual(CREATED);
    expect(await findAccount(handle.db, personalAccountId('nobody'))).toBeNull();
  });

  it('needs the user row: for an unknown user it fails and leaves nothing behind', async () => {
    const error = await errorOf(ensurePersonalAccount(handle.db, 'no-such-user', NOW));
    expect(error).not.toBeNull();
    expect(await rowsOfAccount(handle.db, personalAccountId('no-such-user'))).toEqual({
      accounts: 0,
      account_memberships: 0,
      subscriptions: 0,
      usage_periods: 0,
      usage_ledger: 0,
      member_usage_periods: 0,
      agent_sessions: 0,
      agent_runs: 0,
      duplicate_subscriptions: 0,
    });
  });

  it("the account id is the migration's personal_account_id of the user id", async () => {
    const userIds = ['alice', 'auth0|abc', 'google-oauth2|1234567890', 'ünïcødé ✓', "o'brien", ''];
    for (const userId of userIds) {
      const [row] = await queryRows<{ id: string }>(
        handle.db,
        sql`select personal_account_id(${userId})::text as id`,
      );
      expect(row?.id, userId).toBe(personalAccountId(userId));
    }
    expect(new Set(userIds.map(personalAccountId)).size).toBe(userIds.length);
  });
});

describe('accounts constraints', () => {
  it('a personal account needs its user; a team account has none; the kind is checked', async () => {
    const user = await createUser(handle.db, { email: 'owner@example.test', createdAt: CREATED });
    const invalid = [
      { id: '00000000-0000-4000-8000-000000000001', kind: 'personal' as const, createdByUserId: user.id },
      {
        id: '00000000-0000-4000-8000-000000000002',
        kind: 'personal' as const,
        personalUserId: null,
        createdByUserId: user.id,
      },
      {
        id: '00000000-0000-4000-8000-000000000003',
        kind: 'team' as const,
        personalUserId: user.id,
        createdByUserId: user.id,
      },
      { id: '00000000-0000-4000-8000-000000000004', kind: 'bogus' as 'team', createdByUserId: user.id },
    ];
    for (const row of invalid) {
      const error = await errorOf(handle.db.insert(accounts).values(row).execute());
      expect(pgErrorCode(error), JSON.stringify(row)).toBe(PG_CHECK_VIOLATION);
    }
    expect(await handle.db.select().from(accounts)).toEqual([]);
    // The valid shapes are accepted.
    await handle.db.insert(accounts).values([
      { id: personalAccountId(user.id), kind: 'personal', personalUserId: user.id, createdByUserId: user.id },
      { id: '00000000-0000-4000-8000-000000000005', kind: 'team', name: 'Team', createdByUserId: user.id },
    ]);
    expect(await handle.db.select({ n: count() }).from(accounts)).toEqual([{ n: 2 }]);
  });
});

describe('deleting a user', () => {
  it('cascades to its personal account and every tenant row of it; other accounts are untouched', async () => {
    const alice = await makeUser(handle.db, CREATED);
    const bob = await makeUser(handle.db, CREATED);
    for (const owner of [alice.owner, bob.owner]) {
      const session = await createSession(handle.db, owner, 'Research', NOW);
      await insertRun(handle.db, { owner, sessionId: session.id, runId: 'run-1', prompt: 'p', now: NOW });
      // run-2 also counted on its member's counter (as in a team account), so that row exists too.
      const reserved = await reserveRuns(handle.db, [
        runOf(owner, 'run-1', 10),
        runOf(owner, 'run-2', 10, { countsMember: true }),
      ]);
      expect(reserved.map((r) => r.outcome)).toEqual(['reserved', 'reserved']);
      await recordDuplicateSubscription(handle.db, {
        accountId: owner.accountId,
        keptStripeSubscriptionId: `sub_kept_${owner.userId}`,
        canceledStripeSubscriptionId: `sub_canceled_${owner.userId}`,
        canceledPlan: 'BASIC',
        detectedAt: NOW,
      });
    }
    const full = {
      accounts: 1,
      account_memberships: 1,
      subscriptions: 1,
      usage_periods: 1,
      usage_ledger: 2,
      member_usage_periods: 1,
      agent_sessions: 1,
      agent_runs: 1,
      duplicate_subscriptions: 1,
    };
    expect(await rowsOfAccount(handle.db, alice.accountId)).toEqual(full);
    expect(await rowsOfAccount(handle.db, bob.accountId)).toEqual(full);

    await handle.db.delete(users).where(eq(users.id, alice.id));

    expect(await rowsOfAccount(handle.db, alice.accountId)).toEqual({
      accounts: 0,
      account_memberships: 0,
      subscriptions: 0,
      usage_periods: 0,
      usage_ledger: 0,
      member_usage_periods: 0,
      agent_sessions: 0,
      agent_runs: 0,
      duplicate_subscriptions: 0,
    });
    expect(await rowsOfAccount(handle.db, bob.accountId)).toEqual(full);
    // Nothing of Alice's is left anywhere, whatever account it would name.
    expect(await handle.db.select().from(usageLedger).where(eq(usageLedger.userId, alice.id))).toEqual([]);
    expect(await handle.db.select().from(agentRuns).where(eq(agentRuns.userId, alice.id))).toEqual([]);
  });
});
