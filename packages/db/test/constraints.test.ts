import { describe, expect, it } from 'vitest';
import {
  createUser,
  findUserByEmail,
  isUniqueViolation,
  pgErrorCode,
  PG_CHECK_VIOLATION,
  PG_FOREIGN_KEY_VIOLATION,
  recordEventOnce,
  isEventRecorded,
  personalAccountId,
  stripeEvents,
  subscriptions,
  usageLedger,
  usagePeriods,
  users,
} from '../src';
import { makeUser, useTestDb } from './fixtures';

const handle = useTestDb();

const PERIOD_START = new Date('2025-03-01T00:00:00Z');
const PERIOD_END = new Date('2025-04-01T00:00:00Z');

/** A ledger row of `owner`'s account (the tenant), run by `owner`'s user (the member). */
function ledgerRow(owner: { accountId: string; userId: string }, runId: string, periodId: string) {
  return {
    accountId: owner.accountId,
    userId: owner.userId,
    runId,
    periodId,
    state: 'reserved' as const,
    actorKind: 'service' as const,
    actorId: 'key',
    fingerprint: `fp:${runId}`,
  };
}

async function expectUniqueViolation(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a unique violation').not.toBeNull();
  expect(isUniqueViolation(error)).toBe(true);
}

describe('unique constraints', () => {
  it('one subscription per account', async () => {
    const user = await makeUser(handle.db);
    await expectUniqueViolation(
      handle.db
        .insert(subscriptions)
        .values({ accountId: user.accountId, plan: 'PRO', status: 'active' })
        .execute(),
    );
  });

  it('one ledger row per (account, run id)', async () => {
    const user = await makeUser(handle.db);
    const [period] = await handle.db
      .insert(usagePeriods)
      .values({ accountId: user.accountId, periodStart: PERIOD_START, periodEnd: PERIOD_END, runLimit: 10 })
      .returning();
    if (!period) throw new Error('no period');
    await handle.db.insert(usageLedger).values(ledgerRow(user.owner, 'run-1', period.id));
    await expectUniqueViolation(
      handle.db
        .insert(usageLedger)
        .values(ledgerRow(user.owner, 'run-1', period.id))
        .execute(),
    );
    // The same run id in another account is a different run.
    const other = await makeUser(handle.db);
    const [otherPeriod] = await handle.db
      .insert(usagePeriods)
      .values({ accountId: other.accountId, periodStart: PERIOD_START, periodEnd: PERIOD_END, runLimit: 10 })
      .returning();
    if (!otherPeriod) throw new Error('no period');
    await handle.db.insert(usageLedger).values(ledgerRow(other.owner, 'run-1', otherPeriod.id));
    // A run of one account can never be counted in another account's period (the key leads with it).
    const error = await handle.db
      .insert(usageLedger)
      .values(ledgerRow(other.owner, 'run-2', period.id))
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(pgErrorCode(error)).toBe(PG_FOREIGN_KEY_VIOLATION);
  });

  it('one usage period per (account, start)', async () => {
    const user = await makeUser(handle.db);
    await handle.db
      .insert(usagePeriods)
      .values({ accountId: user.accountId, periodStart: PERIOD_START, periodEnd: PERIOD_END, runLimit: 10 });
    await expectUniqueViolation(
      handle.db
        .insert(usagePeriods)
        .values({
          accountId: user.accountId,
          periodStart: PERIOD_START,
          periodEnd: new Date('2025-05-01T00:00:00Z'),
          runLimit: 10,
        })
        .execute(),
    );
  });

  it('one row per Stripe event id, and recordEventOnce reports only the first', async () => {
    const event = {
      id: 'evt_1',
      type: 'customer.subscription.updated',
      stripeCreatedAt: PERIOD_START,
      objectId: 'sub_1',
    };
    await expectUniqueViolation(handle.db.insert(stripeEvents).values([event, event]).execute());
    expect(await recordEventOnce(handle.db, event)).toBe(true);
    expect(await recordEventOnce(handle.db, event)).toBe(false);
    expect(await recordEventOnce(handle.db, { ...event, id: 'evt_2' })).toBe(true);
    const accountId = personalAccountId('event-owner');
    expect(await recordEventOnce(handle.db, { ...event, id: 'evt_3', objectId: null, accountId })).toBe(true);
    const stored = await handle.db.select().from(stripeEvents).orderBy(stripeEvents.id);
    expect(
      stored.map(({ id, type, stripeCreatedAt, objectId, accountId: owner }) => ({
        id,
        type,
        stripeCreatedAt,
        objectId,
        owner,
      })),
    ).toEqual([
      { ...withoutId(event), id: 'evt_1', owner: null },
      { ...withoutId(event), id: 'evt_2', owner: null },
      { ...withoutId(event), id: 'evt_3', objectId: null, owner: accountId },
    ]);
    expect(stored.every((row) => row.receivedAt instanceof Date && row.failureCode === null)).toBe(true);
    expect(await isEventRecorded(handle.db, 'evt_3')).toBe(true);
    expect(await isEventRecorded(handle.db, 'evt_unknown')).toBe(false);
  });

  it('recordEventOnce inside a transaction that fails leaves the event unrecorded (Stripe retries it)', async () => {
    const event = { id: 'evt_retry', type: 'invoice.paid', stripeCreatedAt: PERIOD_START };
    await expect(
      handle.db.transaction(async (tx) => {
        expect(await recordEventOnce(tx, event)).toBe(true);
        throw new Error('applying the effect failed');
      }),
    ).rejects.toThrow('applying the effect failed');
    expect(await recordEventOnce(handle.db, event)).toBe(true);
  });

  it('one account per email, case-insensitively; emails are stored lowercased', async () => {
    const user = await createUser(handle.db, { email: 'Ada@Example.TEST', passwordHash: 'hash' });
    expect(user.email).toBe('ada@example.test');
    expect((await findUserByEmail(handle.db, 'ADA@example.test'))?.id).toBe(user.id);
    await expectUniqueViolation(createUser(handle.db, { email: 'ada@EXAMPLE.test' }));
    // Writers that bypass the repository are held to the same rule by a CHECK constraint.
    const error = await handle.db
      .insert(users)
      .values({ id: 'raw', email: 'Mixed@Case.test', authSource: 'password' })
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(pgErrorCode(error)).toBe(PG_CHECK_VIOLATION);
  });

  it('a ledger row carries exactly the timestamps of its state (no started run without started_at…)', async () => {
    const user = await makeUser(handle.db);
    const [period] = await handle.db
      .insert(usagePeriods)
      .values({ accountId: user.accountId, periodStart: PERIOD_START, periodEnd: PERIOD_END, runLimit: 10 })
      .returning();
    if (!period) throw new Error('no period');
    const invalid = [
      { ...ledgerRow(user.owner, 'a', period.id), state: 'started' as const },
      { ...ledgerRow(user.owner, 'b', period.id), state: 'released' as const, releasedAt: new Date() },
      // Released after starting: only when the agent backend proved it never started.
      {
        ...ledgerRow(user.owner, 'c', period.id),
        state: 'released' as const,
        startedAt: new Date(),
        releasedAt: new Date(),
        releaseReason: 'service' as const,
      },
      { ...ledgerRow(user.owner, 'd', period.id), state: 'bogus' as 'reserved' },
      { ...ledgerRow(user.owner, 'e', period.id), unitsReserved: 0 },
    ];
    for (const row of invalid) {
      const error = await handle.db
        .insert(usageLedger)
        .values(row)
        .then(
          () => null,
          (caught: unknown) => caught,
        );
      expect(pgErrorCode(error), JSON.stringify(row)).toBe(PG_CHECK_VIOLATION);
    }
  });

  it('a usage counter can never go below zero', async () => {
    const user = await makeUser(handle.db);
    const error = await handle.db
      .insert(usagePeriods)
      .values({
        accountId: user.accountId,
        periodStart: PERIOD_START,
        periodEnd: PERIOD_END,
        used: -1,
        runLimit: 10,
      })
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(pgErrorCode(error)).toBe(PG_CHECK_VIOLATION);
  });
});

function withoutId<T extends { id: string }>({ id: _id, ...rest }: T): Omit<T, 'id'> {
  return rest;
}
