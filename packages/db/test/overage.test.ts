import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { findLedgerEntry, releaseRun, reserveRuns, settleRun, startRun } from '../src';
import type { Database } from '../src';
import { grant } from './credit-helpers';
import { makeUser, useTestDb } from './fixtures';
import { overageBooks, PRICE, setSpend } from './overage-helpers';
import { NOW, SERVICE, runOf, tally } from './reservation-helpers';
import type { RunOwner } from './reservation-helpers';

const handle = useTestDb();
const LATER = new Date(NOW.getTime() + 60_000);

async function reserveMany(db: Database, owner: RunOwner, count: number, limit: number, prefix = 'r') {
  return reserveRuns(
    db,
    Array.from({ length: count }, (_, i) => runOf(owner, `${prefix}${i}`, limit, { overagePrice: PRICE })),
  );
}

describe('overage: runs past the allowance and credits, for accounts that opted in', () => {
  it('is off by default: past the allowance the run is refused, as before', async () => {
    const user = await makeUser(handle.db);
    expect(tally(await reserveMany(handle.db, user.owner, 4, 3))).toEqual({ reserved: 3, limit_reached: 1 });
  });

  it('opted in without a cap: runs keep going, each unit past the allowance and credits is overage', async () => {
    const user = await makeUser(handle.db);
    await grant(handle.db, user.accountId, 2, { expiresInDays: 30 });
    await setSpend(handle.db, user.accountId, { overageEnabled: true });
    const results = await reserveMany(handle.db, user.owner, 8, 3);
    expect(tally(results)).toEqual({ reserved: 8 });
    // 3 from the allowance, 2 from the grant, then 3 of overage.
    expect(results.map((r) => r.unitsOverage)).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(results.at(-1)?.overage).toEqual({ used: 3, cap: null });
    expect(await overageBooks(handle.db, user.accountId)).toEqual({
      counted: 3,
      held: 3,
      billable: 0,
      journaled: 0,
    });
  });

  it('opted in on a subscription without the metered item (a new one after a resubscribe): refused, and a settle’s overrun draws none', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true });
    // A resubscribe: the stored subscription is another one, which doesn't carry the item.
    await handle.db.execute(sql`
      update subscriptions set stripe_subscription_id = 'sub_new' where account_id = ${user.accountId}`);
    expect(tally(await reserveMany(handle.db, user.owner, 4, 3))).toEqual({ reserved: 3, limit_reached: 1 });
    await startRun(handle.db, { accountId: user.accountId, runId: 'r0', actor: SERVICE, now: NOW });
    const settled = await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'r0',
      actor: SERVICE,
      actual: 5,
      now: LATER,
      overagePrice: PRICE,
    });
    expect(settled.ok && settled.entry.unitsOverage).toBe(0);
    expect(await overageBooks(handle.db, user.accountId)).toMatchObject({ counted: 0, held: 0 });
  });

  it('a plan that can’t bill overage (no price sent) never runs into overage, whatever the settings say', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true });
    const results = await reserveRuns(
      handle.db,
      Array.from({ length: 4 }, (_, i) => runOf(user.owner, `f${i}`, 3)),
    );
    expect(tally(results)).toEqual({ reserved: 3, limit_reached: 1 });
  });

  it('a cap in runs stops overage exactly there with spend_cap_reached; raising it lets the next run through', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true, cap: { runs: 2 } });
    const results = await reserveMany(handle.db, user.owner, 7, 3);
    expect(tally(results)).toEqual({ reserved: 5, spend_cap_reached: 2 });
    expect(results.at(-1)).toMatchObject({ outcome: 'spend_cap_reached', overage: { used: 2, cap: 2 } });
    await setSpend(handle.db, user.accountId, { cap: { runs: 3 } });
    expect(tally(await reserveMany(handle.db, user.owner, 2, 3, 'after'))).toEqual({
      reserved: 1,
      spend_cap_reached: 1,
    });
  });

  it('a money cap allows ⌊cap ÷ price⌋ runs with a decimal price: $1.00 at 12.5¢ is 8 runs, $0.99 is 7', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true, cap: { cents: 100 } });
    expect(tally(await reserveMany(handle.db, user.owner, 12, 1))).toEqual({
      reserved: 9,
      spend_cap_reached: 3,
    });
    const other = await makeUser(handle.db);
    await setSpend(handle.db, other.accountId, { overageEnabled: true, cap: { cents: 99 } });
    expect(tally(await reserveMany(handle.db, other.owner, 12, 1))).toEqual({
      reserved: 8,
      spend_cap_reached: 4,
    });
  });

  it('a price of 0 (settings refuse it) or a tiny one never fails a reservation: no division by zero, no int overflow', async () => {
    const free = await makeUser(handle.db);
    await setSpend(handle.db, free.accountId, { overageEnabled: true, cap: { cents: 500 } });
    const atZero = (id: string) => runOf(free.owner, id, 1, { overagePrice: '0' });
    expect(tally(await reserveRuns(handle.db, [atZero('z0'), atZero('z1'), atZero('z2')]))).toEqual({
      reserved: 3,
    });
    const tiny = await makeUser(handle.db);
    await setSpend(handle.db, tiny.accountId, { overageEnabled: true, cap: { cents: 1_000_000_000 } });
    const atTiny = (id: string) => runOf(tiny.owner, id, 1, { overagePrice: '0.000000000001' });
    expect(tally(await reserveRuns(handle.db, [atTiny('t0'), atTiny('t1')]))).toEqual({ reserved: 2 });
  });

  it('the stricter of the account’s and the operator’s caps wins, either way round', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, {
      overageEnabled: true,
      cap: { runs: 5 },
      operatorCap: { runs: 2 },
    });
    expect(tally(await reserveMany(handle.db, user.owner, 6, 1))).toEqual({
      reserved: 3,
      spend_cap_reached: 3,
    });
    const other = await makeUser(handle.db);
    await setSpend(handle.db, other.accountId, {
      overageEnabled: true,
      cap: { runs: 1 },
      operatorCap: { cents: 1000 },
    });
    expect(tally(await reserveMany(handle.db, other.owner, 6, 1))).toEqual({
      reserved: 2,
      spend_cap_reached: 4,
    });
  });

  it('a cap of 0 is no overage at all; turning overage off stops it at once', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true, cap: { runs: 0 } });
    expect(tally(await reserveMany(handle.db, user.owner, 2, 1))).toEqual({
      reserved: 1,
      spend_cap_reached: 1,
    });
    await setSpend(handle.db, user.accountId, { cap: null });
    expect(tally(await reserveMany(handle.db, user.owner, 2, 1, 'on'))).toEqual({ reserved: 2 });
    await setSpend(handle.db, user.accountId, { overageEnabled: false });
    expect(tally(await reserveMany(handle.db, user.owner, 1, 1, 'off'))).toEqual({ limit_reached: 1 });
  });
});

describe('the overage journal: what started runs hold past the balance, journaled by the database', () => {
  it('starting a run journals its overage; a reserved run that is released never does', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true });
    await reserveMany(handle.db, user.owner, 3, 1);
    await startRun(handle.db, { accountId: user.accountId, runId: 'r1', actor: SERVICE, now: LATER });
    await releaseRun(handle.db, {
      accountId: user.accountId,
      runId: 'r2',
      actor: SERVICE,
      reason: 'service',
      now: LATER,
    });
    expect(await overageBooks(handle.db, user.accountId)).toEqual({
      counted: 1,
      held: 1,
      billable: 1,
      journaled: 1,
    });
  });

  it('settling below the estimate gives overage back first and journals the difference', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true });
    // Allowance 2, estimate 5: 2 from the allowance, 3 of overage.
    await reserveRuns(handle.db, [runOf(user.owner, 'big', 2, { units: 5, overagePrice: PRICE })]);
    await startRun(handle.db, { accountId: user.accountId, runId: 'big', actor: SERVICE, now: LATER });
    await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'big',
      actor: SERVICE,
      actual: 3,
      now: LATER,
    });
    expect(await findLedgerEntry(handle.db, { accountId: user.accountId, runId: 'big' })).toMatchObject({
      unitsSettled: 3,
      unitsFromAllowance: 2,
      unitsOverage: 1,
    });
    expect(await overageBooks(handle.db, user.accountId)).toEqual({
      counted: 1,
      held: 1,
      billable: 1,
      journaled: 1,
    });
  });

  it('an overrun draws overage within the cap, never beyond it', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true, cap: { runs: 4 } });
    await reserveRuns(handle.db, [runOf(user.owner, 'o', 1, { overagePrice: PRICE })]);
    await startRun(handle.db, { accountId: user.accountId, runId: 'o', actor: SERVICE, now: LATER });
    const settled = await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'o',
      actor: SERVICE,
      actual: 10,
      now: LATER,
      overagePrice: PRICE,
    });
    expect(settled).toMatchObject({ ok: true, entry: { unitsSettled: 5, unitsActual: 10, unitsOverage: 4 } });
    expect(await overageBooks(handle.db, user.accountId)).toEqual({
      counted: 4,
      held: 4,
      billable: 4,
      journaled: 4,
    });
  });

  it('an overrun under a tiny price or a price of 0 draws overage like a reservation would: no int overflow, no division by zero', async () => {
    for (const price of ['0.01', '0']) {
      const user = await makeUser(handle.db);
      await setSpend(handle.db, user.accountId, { overageEnabled: true, cap: { cents: 100_000_000 } });
      await reserveRuns(handle.db, [runOf(user.owner, 'o', 1, { overagePrice: price })]);
      await startRun(handle.db, { accountId: user.accountId, runId: 'o', actor: SERVICE, now: LATER });
      const settled = await settleRun(handle.db, {
        accountId: user.accountId,
        runId: 'o',
        actor: SERVICE,
        actual: 3,
        now: LATER,
        overagePrice: price,
      });
      expect(settled).toMatchObject({ ok: true, entry: { unitsSettled: 3, unitsOverage: 2 } });
    }
  });

  it('without the plan’s price (the settle sweeper, a plan that doesn’t bill overage) an overrun draws no overage', async () => {
    const user = await makeUser(handle.db);
    await setSpend(handle.db, user.accountId, { overageEnabled: true });
    await reserveRuns(handle.db, [runOf(user.owner, 'o', 1, { overagePrice: PRICE })]);
    await startRun(handle.db, { accountId: user.accountId, runId: 'o', actor: SERVICE, now: LATER });
    const settled = await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'o',
      actor: SERVICE,
      actual: 3,
      now: LATER,
    });
    expect(settled).toMatchObject({ ok: true, entry: { unitsSettled: 1, unitsOverage: 0 } });
    expect((await overageBooks(handle.db, user.accountId)).journaled).toBe(0);
  });
});
