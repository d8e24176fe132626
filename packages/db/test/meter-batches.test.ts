import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  abandonExpiredMeterBatches,
  claimDueMeterBatches,
  finishMeterBatchAttempt,
  flushOverage,
  linkStripeCustomer,
  listMeterBatches,
  meterEventTime,
  meterPeriodBooks,
  METER_BATCH_MAX_AGE_MS,
  queryRows,
  renewMeterBatchLease,
  reserveRuns,
  settleMeterPeriod,
  settleRun,
  startRun,
} from '../src';
import type { ClaimedMeterBatch, Database } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { PRICE, setSpend } from './overage-helpers';
import { NEXT_PERIOD, NOW, PERIOD, SERVICE, chunks, runOf } from './reservation-helpers';
import type { RunOwner } from './reservation-helpers';
import { postgresServerUrl, withTwoPools } from './two-pools';

const handle = useTestDb();
const EVENT = 'tollgate_overage_runs';
const LEASE_MS = 60_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** A user with overage on and a Stripe customer, whose runs are all overage (an allowance of 0). */
async function overageAccount(
  db: Database,
  customer: string | null = `cus_${Math.random().toString(36).slice(2)}`,
) {
  const user = await makeUser(db);
  await setSpend(db, user.accountId, { overageEnabled: true });
  if (customer) await linkStripeCustomer(db, user.accountId, customer);
  return user;
}

/** Reserves and starts `count` overage runs of `units` each: each start journals +units. */
async function startOverageRuns(
  db: Database,
  owner: RunOwner,
  count: number,
  options: { prefix?: string; units?: number; period?: { start: Date; end: Date }; now?: Date } = {},
) {
  const prefix = options.prefix ?? 'r';
  const now = options.now ?? NOW;
  const inputs = Array.from({ length: count }, (_, i) =>
    runOf(owner, `${prefix}${i}`, 0, {
      overagePrice: PRICE,
      units: options.units ?? 1,
      period: options.period ?? PERIOD,
      now,
    }),
  );
  for (const group of chunks(inputs, 200)) await reserveRuns(db, group);
  for (const input of inputs) {
    await startRun(db, { accountId: owner.accountId, runId: input.runId, actor: SERVICE, now });
  }
}

async function entries(db: Database, accountId: string) {
  return queryRows<{ id: number; units: number; batch_id: string | null; period_id: string }>(
    db,
    sql`select id, units, batch_id, period_id from overage_entries where account_id = ${accountId} order by id`,
  );
}

/** Every batch's value is the sum of the entries stamped with it; returns the unstamped entries' count. */
async function expectBatchesCoverEntries(db: Database, accountId: string): Promise<number> {
  const rows = await entries(db, accountId);
  const batches = await listMeterBatches(db, { accountId });
  for (const batch of batches.filter((b) => b.kind === 'usage')) {
    const covered = rows.filter((row) => row.batch_id === batch.id);
    expect(covered.reduce((sum, row) => sum + row.units, 0)).toBe(batch.value);
    expect(new Set(covered.map((row) => row.period_id))).toEqual(new Set([batch.periodId]));
  }
  return rows.filter((row) => row.batch_id === null).length;
}

const claim = (db: Database, now: Date, extra: { accountId?: string; ignoreBackoff?: boolean } = {}) =>
  claimDueMeterBatches(db, { now, limit: 10, leaseMs: LEASE_MS, ...extra });

/**
 * Every lease runs out now. Leases are on the database's clock, so no app clock passed to a claim can end
 * them (that is the point): their end is moved into the database's past instead.
 */
async function expireLeases(db: Database): Promise<void> {
  await db.execute(
    sql`update meter_batches set lease_until = clock_timestamp() - interval '1 second' where lease_until is not null`,
  );
}

describe('flushOverage: journal entries → one batch per (account, period)', () => {
  it('batches exactly the unbatched entries, once; later entries make the next batch', async () => {
    const a = await overageAccount(handle.db, 'cus_a');
    const b = await overageAccount(handle.db, 'cus_b');
    await startOverageRuns(handle.db, a.owner, 5);
    await startOverageRuns(handle.db, a.owner, 2, { prefix: 'n', period: NEXT_PERIOD, units: 3 });
    await startOverageRuns(handle.db, b.owner, 4, { units: 2 });

    const flushed = await flushOverage(handle.db, { now: at(1_000), eventName: EVENT });
    expect(flushed.map((f) => [f.accountId, f.outcome, f.units, f.entries]).sort()).toEqual(
      [
        [a.accountId, 'batched', 5, 5],
        [a.accountId, 'batched', 6, 2],
        [b.accountId, 'batched', 8, 4],
      ].sort(),
    );
    const batches = await listMeterBatches(handle.db);
    expect(batches.map((x) => [x.stripeCustomerId, x.value, x.status, x.kind, x.eventName]).sort()).toEqual([
      ['cus_a', 5, 'pending', 'usage', EVENT],
      ['cus_a', 6, 'pending', 'usage', EVENT],
      ['cus_b', 8, 'pending', 'usage', EVENT],
    ]);
    expect(await expectBatchesCoverEntries(handle.db, a.accountId)).toBe(0);
    expect(await expectBatchesCoverEntries(handle.db, b.accountId)).toBe(0);
    expect(await flushOverage(handle.db, { now: at(2_000), eventName: EVENT })).toEqual([]);

    await startOverageRuns(handle.db, a.owner, 3, { prefix: 'late' });
    const again = await flushOverage(handle.db, { now: at(3_000), eventName: EVENT, accountId: a.accountId });
    expect(again).toMatchObject([{ outcome: 'batched', units: 3, entries: 3 }]);
    expect(await expectBatchesCoverEntries(handle.db, a.accountId)).toBe(0);
    expect(await listMeterBatches(handle.db, { accountId: a.accountId })).toHaveLength(3);
  });

  it('a sum ≤ 0 (overage given back after it was reported) stays unstamped and nets against later entries', async () => {
    const user = await overageAccount(handle.db);
    await reserveRuns(handle.db, [runOf(user.owner, 'big', 0, { overagePrice: PRICE, units: 5 })]);
    await startRun(handle.db, { accountId: user.accountId, runId: 'big', actor: SERVICE, now: NOW });
    await flushOverage(handle.db, { now: at(0), eventName: EVENT });
    await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'big',
      actor: SERVICE,
      actual: 2,
      now: NOW,
    });
    const unstamped = async () =>
      (await entries(handle.db, user.accountId))
        .filter((row) => row.batch_id === null)
        .map((row) => row.units);
    expect(await flushOverage(handle.db, { now: at(1_000), eventName: EVENT })).toEqual([]);
    expect(await unstamped()).toEqual([-3]);
    await startOverageRuns(handle.db, user.owner, 3);
    expect(await flushOverage(handle.db, { now: at(2_000), eventName: EVENT })).toEqual([]);
    expect(await unstamped()).toEqual([-3, 1, 1, 1]);
    await startOverageRuns(handle.db, user.owner, 2, { prefix: 'more' });
    expect(await flushOverage(handle.db, { now: at(3_000), eventName: EVENT })).toMatchObject([
      { outcome: 'batched', units: 2, entries: 6 },
    ]);
    // 5 reported, 3 given back, 5 more: Stripe is sent 5 + 2 = 7 = what the ledger bills.
    const values = (await listMeterBatches(handle.db, { accountId: user.accountId })).map((x) => x.value);
    expect(values).toEqual([5, 2]);
    expect(await unstamped()).toEqual([]);
    expect(await expectBatchesCoverEntries(handle.db, user.accountId)).toBe(0);
  });

  it('an account without a Stripe customer is skipped: its entries wait, unstamped, and starve no one', async () => {
    const stuck = await overageAccount(handle.db, null);
    await startOverageRuns(handle.db, stuck.owner, 2);
    const next = await overageAccount(handle.db);
    await startOverageRuns(handle.db, next.owner, 1);
    // The stuck account's entries are older, yet a flush of one pair goes to the one that can be billed.
    expect(await flushOverage(handle.db, { now: NOW, eventName: EVENT, limit: 1 })).toMatchObject([
      { accountId: next.accountId, outcome: 'batched', units: 1 },
    ]);
    expect(await flushOverage(handle.db, { now: NOW, eventName: EVENT })).toEqual([]);
    expect(await listMeterBatches(handle.db, { accountId: stuck.accountId })).toEqual([]);
    await linkStripeCustomer(handle.db, stuck.accountId, 'cus_late');
    expect(await flushOverage(handle.db, { now: NOW, eventName: EVENT })).toMatchObject([
      { accountId: stuck.accountId, outcome: 'batched', units: 2 },
    ]);
  });

  it('stamps the event inside the period’s whole minutes, even when flushed after the period ended', async () => {
    const period = { start: new Date('2025-03-01T10:00:30Z'), end: new Date('2025-04-01T10:00:30Z') };
    expect(meterEventTime(new Date('2025-03-01T10:00:40Z'), period)).toEqual(
      new Date('2025-03-01T10:01:00Z'),
    );
    expect(meterEventTime(new Date('2025-03-20T00:00:00Z'), period)).toEqual(
      new Date('2025-03-20T00:00:00Z'),
    );
    expect(meterEventTime(new Date('2025-04-01T10:30:00Z'), period)).toEqual(
      new Date('2025-04-01T09:59:59Z'),
    );
    const user = await overageAccount(handle.db);
    await startOverageRuns(handle.db, user.owner, 1);
    await flushOverage(handle.db, { now: new Date('2025-04-01T00:20:00Z'), eventName: EVENT });
    const [batch] = await listMeterBatches(handle.db);
    expect(batch?.eventAt).toEqual(new Date(PERIOD.end.getTime() - 1_000));
  });
});

describe('claims: one batch in flight per account, fenced, never past 23 hours', () => {
  async function twoBatchesOfA() {
    const a = await overageAccount(handle.db);
    const b = await overageAccount(handle.db);
    await startOverageRuns(handle.db, a.owner, 1);
    await flushOverage(handle.db, { now: at(0), eventName: EVENT });
    await startOverageRuns(handle.db, a.owner, 1, { prefix: 'second' });
    await startOverageRuns(handle.db, b.owner, 1);
    await flushOverage(handle.db, { now: at(1_000), eventName: EVENT });
    const [first, second] = await listMeterBatches(handle.db, { accountId: a.accountId });
    if (!first || !second) throw new Error('expected two batches');
    return { a, b, first, second };
  }

  it('claims only an account’s oldest pending batch, and nothing of an account with a live lease', async () => {
    const { a, b, first, second } = await twoBatchesOfA();
    const claimed = await claim(handle.db, at(2_000));
    expect(claimed.map((c) => c.id).sort()).toEqual(
      [first.id, (await listMeterBatches(handle.db, { accountId: b.accountId }))[0]?.id].sort(),
    );
    expect(claimed.every((c) => c.attempts === 1)).toBe(true);
    expect(await claim(handle.db, at(3_000))).toEqual([]);
    const firstClaim = claimed.find((c) => c.accountId === a.accountId) as ClaimedMeterBatch;
    expect(await finishMeterBatchAttempt(handle.db, firstClaim, { status: 'delivered', at: at(3_000) })).toBe(
      true,
    );
    expect((await claim(handle.db, at(4_000))).map((c) => c.id)).toEqual([second.id]);
  });

  it('an older batch waiting out its backoff holds back the younger ones; ignoreBackoff claims it now', async () => {
    const { a, first } = await twoBatchesOfA();
    const claims = await claim(handle.db, at(2_000), { accountId: a.accountId });
    expect(claims.map((c) => c.id)).toEqual([first.id]);
    const [claimed] = claims;
    if (!claimed) throw new Error('nothing claimed');
    await finishMeterBatchAttempt(handle.db, claimed, {
      status: 'retry',
      nextAttemptAt: at(60_000),
      error: '500',
    });
    expect(await claim(handle.db, at(3_000), { accountId: a.accountId })).toEqual([]);
    expect(
      (await claim(handle.db, at(3_000), { accountId: a.accountId, ignoreBackoff: true })).map((c) => c.id),
    ).toEqual([first.id]);
  });

  it('fences: a claim whose lease ran out and was taken again can neither send nor finish', async () => {
    const { a } = await twoBatchesOfA();
    const [stale] = await claim(handle.db, at(2_000), { accountId: a.accountId });
    if (!stale) throw new Error('nothing claimed');
    const renew = (claimed: ClaimedMeterBatch, now: Date) =>
      renewMeterBatchLease(handle.db, claimed, { leaseMs: LEASE_MS, now });
    expect(await renew(stale, at(2_500))).toBe(true);
    await expireLeases(handle.db);
    const later = at(3_000);
    expect(await renew(stale, later)).toBe(false);
    const [fresh] = await claim(handle.db, later, { accountId: a.accountId });
    expect(fresh).toMatchObject({ id: stale.id, attempts: 2 });
    expect(await finishMeterBatchAttempt(handle.db, stale, { status: 'delivered', at: later })).toBe(false);
    expect(await renew(stale, later)).toBe(false);
    if (!fresh) throw new Error('nothing claimed');
    expect(await finishMeterBatchAttempt(handle.db, fresh, { status: 'delivered', at: later })).toBe(true);
    expect((await listMeterBatches(handle.db, { ids: [stale.id] }))[0]).toMatchObject({
      status: 'delivered',
      attempts: 2,
    });
  });

  it('23 hours after it was made an undelivered batch is abandoned, never claimed or sent again', async () => {
    const { a, first, second } = await twoBatchesOfA();
    const lease = 500;
    const justBefore = at(METER_BATCH_MAX_AGE_MS - 1);
    const [leased] = await claimDueMeterBatches(handle.db, {
      now: justBefore,
      limit: 10,
      leaseMs: lease,
      accountId: a.accountId,
    });
    if (!leased) throw new Error('nothing claimed');
    expect(leased.id).toBe(first.id);
    // Under a live lease at the mark: its send may be under way, so it is not abandoned yet ...
    const mark = at(METER_BATCH_MAX_AGE_MS);
    expect(await abandonExpiredMeterBatches(handle.db, mark)).toEqual([]);
    // ... but it can't be renewed (sent) past the mark, and once the lease is over it is abandoned.
    expect(await renewMeterBatchLease(handle.db, leased, { leaseMs: lease, now: mark })).toBe(false);
    await expireLeases(handle.db);
    const afterLease = at(METER_BATCH_MAX_AGE_MS + lease);
    const abandoned = await abandonExpiredMeterBatches(handle.db, afterLease);
    expect(abandoned.map((x) => x.id)).toEqual([first.id]);
    expect(abandoned[0]).toMatchObject({ status: 'abandoned', leaseUntil: null });
    expect(abandoned[0]?.lastError).toMatch(/23 hours/);
    // The younger batch (made a second later) is next, until its own mark.
    expect((await claim(handle.db, afterLease, { accountId: a.accountId })).map((c) => c.id)).toEqual([
      second.id,
    ]);
    const pastAll = at(METER_BATCH_MAX_AGE_MS + 1_000 + LEASE_MS * 2);
    expect(await claim(handle.db, pastAll)).toEqual([]);
    await expireLeases(handle.db);
    expect((await abandonExpiredMeterBatches(handle.db, pastAll)).map((x) => x.id)).toContain(second.id);
  });

  it('leases are on the database’s clock: claimers whose clocks are skewed still hold an account one at a time', async () => {
    const { a, first, second } = await twoBatchesOfA();
    // These claims' clock (2025) runs more than a year behind the database's: the lease is still live.
    const [held] = await claim(handle.db, at(2_000), { accountId: a.accountId });
    if (!held) throw new Error('nothing claimed');
    expect(held.id).toBe(first.id);
    const leaseOf = async () => (await listMeterBatches(handle.db, { ids: [first.id] }))[0]?.leaseUntil;
    expect((await leaseOf())?.getTime()).toBeGreaterThan(Date.now() + LEASE_MS / 2);
    expect(await renewMeterBatchLease(handle.db, held, { leaseMs: LEASE_MS, now: at(2_500) })).toBe(true);
    expect((await leaseOf())?.getTime()).toBeGreaterThan(Date.now() + LEASE_MS / 2);
    // A claimer 5 minutes ahead (more than the lease) takes neither the held batch nor the account's next.
    const ahead = at(2_500 + 5 * 60_000);
    expect(await claim(handle.db, ahead, { accountId: a.accountId })).toEqual([]);
    // One past the 23-hour mark abandons the idle batch, not the one under a live lease (its send may be
    // under way).
    const pastMark = at(METER_BATCH_MAX_AGE_MS + 5 * 60_000);
    const abandoned = (await abandonExpiredMeterBatches(handle.db, pastMark)).map((x) => x.id);
    expect(abandoned).toContain(second.id);
    expect(abandoned).not.toContain(first.id);
    expect(await finishMeterBatchAttempt(handle.db, held, { status: 'delivered', at: at(3_000) })).toBe(true);
  });
});

describe('settleMeterPeriod: the reconciliation’s decision, under the account’s lock', () => {
  it('repairs a shortfall (stamping the entries left unbatched), matches, or refuses when the books moved', async () => {
    const user = await overageAccount(handle.db);
    await reserveRuns(handle.db, [runOf(user.owner, 'big', 0, { overagePrice: PRICE, units: 5 })]);
    await startRun(handle.db, { accountId: user.accountId, runId: 'big', actor: SERVICE, now: NOW });
    await flushOverage(handle.db, { now: NOW, eventName: EVENT });
    const [batch] = await listMeterBatches(handle.db);
    if (!batch) throw new Error('no batch');
    const [claimed] = await claim(handle.db, NOW);
    if (!claimed) throw new Error('nothing claimed');
    await finishMeterBatchAttempt(handle.db, claimed, { status: 'delivered', at: NOW });
    await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'big',
      actor: SERVICE,
      actual: 2,
      now: NOW,
    });
    const ref = { accountId: user.accountId, periodId: batch.periodId };
    const books = await meterPeriodBooks(handle.db, ref);
    expect(books).toMatchObject({
      ledger: 2,
      unbatched: -3,
      unbatchedEntries: 1,
      stripeCustomerId: batch.stripeCustomerId,
    });
    const base = { ...ref, eventName: EVENT, now: NOW, canceledBatchId: null };
    const expected = { ledger: 2, batches: 1 };
    // Stripe holds more than the ledger: nothing can be decided here (the caller cancels first).
    expect(await settleMeterPeriod(handle.db, { ...base, expected, stripeTotal: 5 })).toEqual({
      outcome: 'overbilled',
      excess: 3,
    });
    // The books moved since they were read: nothing is done.
    expect(
      await settleMeterPeriod(handle.db, { ...base, expected: { ledger: 3, batches: 1 }, stripeTotal: 0 }),
    ).toEqual({
      outcome: 'changed',
    });
    // The batch was canceled at Stripe (0 there): a repair of 2 accounts for the -3 left unbatched.
    const repaired = await settleMeterPeriod(handle.db, { ...base, expected, stripeTotal: 0 });
    expect(repaired).toMatchObject({ outcome: 'repair', value: 2, stamped: 1 });
    expect(await expectBatchesCoverEntries(handle.db, user.accountId)).toBe(0);
    expect(await flushOverage(handle.db, { now: NOW, eventName: EVENT })).toEqual([]);
    // A pending batch (the repair) means Stripe's total is not final: nothing more is decided.
    expect(
      await settleMeterPeriod(handle.db, { ...base, expected: { ledger: 2, batches: 2 }, stripeTotal: 2 }),
    ).toEqual({
      outcome: 'changed',
    });
  });
});

describe.skipIf(!postgresServerUrl)('on PostgreSQL with two pools', () => {
  it('concurrent flushes from two processes while runs start and settle: no entry in two batches, none lost', async () => {
    await withTwoPools(async (a, b) => {
      const users = [await overageAccount(a), await overageAccount(a), await overageAccount(a)];
      let isBusy = true;
      // Each round starts 20 runs of 2 units (+2 each) and settles the previous round's at 1 (-1 each):
      // negative entries arrive all the time, so a split of an account's entries could sum to ≤ 0.
      const working = Promise.all(
        users.map(async (user, u) => {
          const db = u % 2 ? a : b;
          for (let round = 0; round < 8; round += 1) {
            await startOverageRuns(db, user.owner, 20, { prefix: `r${round}-`, units: 2 });
            if (round === 0) continue;
            await Promise.all(
              Array.from({ length: 20 }, (_, i) =>
                settleRun(db, {
                  accountId: user.accountId,
                  runId: `r${round - 1}-${i}`,
                  actor: SERVICE,
                  actual: 1,
                  now: NOW,
                }),
              ),
            );
          }
        }),
      ).finally(() => {
        isBusy = false;
      });
      const flusher = async (db: Database, id: number) => {
        for (let passes = 0; isBusy || passes < 2; passes += 1) {
          await flushOverage(db, { now: at(passes * 1_000 + id), eventName: EVENT });
        }
      };
      await Promise.all([working, flusher(a, 0), flusher(b, 1), flusher(a, 2), flusher(b, 3)]);
      await flushOverage(a, { now: at(999_999), eventName: EVENT });
      for (const user of users) {
        // 7 rounds settled at 1 unit, the last at 2: 140 + 40 units of overage billed.
        const rows = await entries(a, user.accountId);
        expect(rows.reduce((sum, row) => sum + row.units, 0)).toBe(180);
        const unstamped = rows
          .filter((row) => row.batch_id === null)
          .reduce((sum, row) => sum + row.units, 0);
        // Nothing billable is left out of every batch: only credits back (negative) may wait.
        expect(unstamped).toBeLessThanOrEqual(0);
        await expectBatchesCoverEntries(a, user.accountId);
        const batches = await listMeterBatches(a, { accountId: user.accountId });
        expect(batches.reduce((sum, x) => sum + x.value, 0) + unstamped).toBe(180);
        expect(batches.length).toBeGreaterThan(1);
      }
    });
  });

  it('concurrent claimers in two processes never hold two batches of one account at once', async () => {
    await withTwoPools(async (a, b) => {
      const users = [];
      for (let u = 0; u < 6; u += 1) users.push(await overageAccount(a));
      for (let round = 0; round < 4; round += 1) {
        for (const user of users) await startOverageRuns(a, user.owner, 1, { prefix: `r${round}-` });
        await flushOverage(a, { now: at(round * 1_000), eventName: EVENT });
      }
      const inFlight = new Set<string>();
      const order = new Map<string, string[]>();
      let overlaps = 0;
      const claimer = async (db: Database) => {
        for (let idle = 0; idle < 3;) {
          const claims = await claimDueMeterBatches(db, { now: at(10_000), limit: 4, leaseMs: LEASE_MS });
          if (claims.length === 0) {
            idle += 1;
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          await Promise.all(
            claims.map(async (c) => {
              if (inFlight.has(c.accountId)) overlaps += 1;
              inFlight.add(c.accountId);
              order.set(c.accountId, [...(order.get(c.accountId) ?? []), c.id]);
              await new Promise((resolve) => setTimeout(resolve, 2));
              inFlight.delete(c.accountId);
              expect(await finishMeterBatchAttempt(db, c, { status: 'delivered', at: at(10_000) })).toBe(
                true,
              );
            }),
          );
        }
      };
      await Promise.all([claimer(a), claimer(b), claimer(a), claimer(b)]);
      expect(overlaps).toBe(0);
      for (const user of users) {
        const batches = await listMeterBatches(a, { accountId: user.accountId });
        expect(batches.map((x) => x.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
        // Delivered oldest first.
        expect(order.get(user.accountId)).toEqual(batches.map((x) => x.id));
      }
    });
  });
});
