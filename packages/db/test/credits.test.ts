import { describe, expect, it } from 'vitest';
import {
  applyPackRefund,
  expireCreditGrants,
  getUsage,
  releaseRun,
  reserveRuns,
  settleRun,
  startRun,
  sweepUnsettledRuns,
} from '../src';
import type { Database } from '../src';
import { drawsOf, grant, grantRow, readBooks } from './credit-helpers';
import { makeUser, useTestDb } from './fixtures';
import { NOW, PERIOD, SERVICE, runOf, tally } from './reservation-helpers';
import type { RunOwner } from './reservation-helpers';

const handle = useTestDb();
const LATER = new Date(NOW.getTime() + 60_000);

async function reserveUnits(db: Database, owner: RunOwner, runId: string, units: number, limit = 10) {
  const [result] = await reserveRuns(db, [runOf(owner, runId, limit, { units })]);
  if (!result) throw new Error('no result');
  return result;
}

async function startAndSettle(db: Database, owner: RunOwner, runId: string, actual?: number) {
  await startRun(db, { accountId: owner.accountId, runId, actor: SERVICE, now: LATER });
  return settleRun(db, { accountId: owner.accountId, runId, actor: SERVICE, actual, now: LATER });
}

describe('balance = buckets: the allowance first, then grants by priority, soonest expiry, oldest', () => {
  it('draws the allowance, then the pack expiring sooner, then the later one; one run may span buckets', async () => {
    const user = await makeUser(handle.db);
    const later = await grant(handle.db, user.accountId, 20, { expiresInDays: 300 });
    const sooner = await grant(handle.db, user.accountId, 5, { expiresInDays: 30 });
    const results = await reserveRuns(
      handle.db,
      ['a', 'b', 'c'].map((runId) => runOf(user.owner, runId, 10, { units: 4 })),
    );
    // a: 4 of the allowance; b: 4 of the allowance; c: the last 2 of the allowance + 2 of `sooner`.
    expect(results.map((r) => r.outcome)).toEqual(['reserved', 'reserved', 'reserved']);
    expect(results.map((r) => [r.used, r.credits])).toEqual([
      [4, 25],
      [8, 25],
      [10, 23],
    ]);
    const draws = await drawsOf(handle.db, user.accountId);
    expect(draws.get('c')).toEqual({ [sooner.id]: 2 });
    // d (6 units): the 3 left in `sooner`, then 3 of `later`.
    const d = await reserveUnits(handle.db, user.owner, 'd', 6);
    expect(d).toMatchObject({ outcome: 'reserved', used: 10, credits: 17 });
    expect((await drawsOf(handle.db, user.accountId)).get('d')).toEqual({ [sooner.id]: 3, [later.id]: 3 });
    expect(await readBooks(handle.db)).toMatchObject({
      ledgerUnits: 18,
      bucketUnits: 18,
      unbalancedGrants: [],
      unbalancedRuns: [],
    });
  });

  it('a smaller priority goes first whatever the expiry; equal ones: the older first', async () => {
    const user = await makeUser(handle.db);
    const old = await grant(handle.db, user.accountId, 1, { createdAt: new Date('2024-01-01T00:00:00Z') });
    const young = await grant(handle.db, user.accountId, 1, { createdAt: new Date('2025-01-01T00:00:00Z') });
    const first = await grant(handle.db, user.accountId, 1, { priority: 10, expiresInDays: 900 });
    await reserveRuns(
      handle.db,
      ['x', 'y', 'z'].map((runId) => runOf(user.owner, runId, 0)),
    );
    const draws = await drawsOf(handle.db, user.accountId);
    expect([draws.get('x'), draws.get('y'), draws.get('z')]).toEqual([
      { [first.id]: 1 },
      { [old.id]: 1 },
      { [young.id]: 1 },
    ]);
  });

  it('expired and not-yet-started grants are not spent; a run that does not fit takes nothing', async () => {
    const user = await makeUser(handle.db);
    await grant(handle.db, user.accountId, 50, { expiresInDays: -1 });
    expect((await reserveUnits(handle.db, user.owner, 'r', 11)).outcome).toBe('limit_reached');
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(0);
    expect(await readBooks(handle.db)).toMatchObject({ ledgerUnits: 0, bucketUnits: 0 });
  });
});

describe('reserve, then settle', () => {
  it('settling below the estimate gives the rest back, last drawn first (the grant, then the allowance)', async () => {
    const user = await makeUser(handle.db);
    const pack = await grant(handle.db, user.accountId, 10);
    await reserveUnits(handle.db, user.owner, 'fill', 8);
    await reserveUnits(handle.db, user.owner, 'r', 5); // 2 from the allowance, 3 from the pack
    const settled = await startAndSettle(handle.db, user.owner, 'r', 1);
    expect(settled).toMatchObject({ ok: true, entry: { state: 'settled', unitsSettled: 1, unitsActual: 1 } });
    // 4 back: 3 to the pack, 1 to the allowance: as if the run had reserved 1.
    expect((await grantRow(handle.db, pack.id))?.remaining).toBe(10);
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(9);
    expect(await readBooks(handle.db)).toMatchObject({ ledgerUnits: 9, bucketUnits: 9, unbalancedRuns: [] });
  });

  it('an overrun is charged up to what the balance holds, never beyond', async () => {
    const user = await makeUser(handle.db);
    const pack = await grant(handle.db, user.accountId, 4);
    await reserveUnits(handle.db, user.owner, 'r', 2);
    const settled = await startAndSettle(handle.db, user.owner, 'r', 500);
    // 2 reserved + 8 left in the allowance + 4 in the pack = 14 charged, not 500.
    expect(settled).toMatchObject({ ok: true, entry: { unitsSettled: 14, unitsActual: 500 } });
    expect((await grantRow(handle.db, pack.id))?.remaining).toBe(0);
    expect((await reserveUnits(handle.db, user.owner, 'next', 1)).outcome).toBe('limit_reached');
    expect(await readBooks(handle.db)).toMatchObject({
      ledgerUnits: 14,
      bucketUnits: 14,
      unbalancedRuns: [],
    });
  });

  it('release gives every unit back to where it came from', async () => {
    const user = await makeUser(handle.db);
    const pack = await grant(handle.db, user.accountId, 10);
    await reserveUnits(handle.db, user.owner, 'r', 15);
    const released = await releaseRun(handle.db, {
      accountId: user.accountId,
      runId: 'r',
      actor: SERVICE,
      reason: 'service',
      now: LATER,
    });
    expect(released.ok).toBe(true);
    expect((await grantRow(handle.db, pack.id))?.remaining).toBe(10);
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(0);
    expect(await readBooks(handle.db)).toMatchObject({
      ledgerUnits: 0,
      bucketUnits: 0,
      unbalancedGrants: [],
    });
  });

  it('the sweeper settles a started run at its estimate once; a later settle is refused', async () => {
    const user = await makeUser(handle.db);
    await reserveUnits(handle.db, user.owner, 'r', 3);
    await startRun(handle.db, { accountId: user.accountId, runId: 'r', actor: SERVICE, now: LATER });
    const cutoff = new Date(LATER.getTime() + 1);
    const first = await sweepUnsettledRuns(handle.db, { startedBefore: cutoff, now: cutoff, limit: 10 });
    const second = await sweepUnsettledRuns(handle.db, { startedBefore: cutoff, now: cutoff, limit: 10 });
    expect([first.length, second.length]).toEqual([1, 0]);
    const late = await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'r',
      actor: SERVICE,
      actual: 1,
      now: cutoff,
    });
    expect(late).toMatchObject({ ok: false, reason: 'settled', entry: { unitsSettled: 3 } });
  });
});

describe('expiry and refunds', () => {
  it('expired remainders are recorded as expired (breakage), once', async () => {
    const user = await makeUser(handle.db);
    const pack = await grant(handle.db, user.accountId, 30, { expiresInDays: 10 });
    await reserveUnits(handle.db, user.owner, 'r', 20); // 10 allowance + 10 pack
    const afterExpiry = new Date(NOW.getTime() + 11 * 86_400_000);
    const [first, second] = [
      await expireCreditGrants(handle.db, { now: afterExpiry, limit: 10 }),
      await expireCreditGrants(handle.db, { now: afterExpiry, limit: 10 }),
    ];
    expect(first).toEqual([{ accountId: user.accountId, grantId: pack.id, units: 20 }]);
    expect(second).toEqual([]);
    // A unit given back to an expired grant expires too (it is not spendable again).
    await releaseRun(handle.db, {
      accountId: user.accountId,
      runId: 'r',
      actor: SERVICE,
      reason: 'service',
      now: afterExpiry,
    });
    expect(await grantRow(handle.db, pack.id)).toMatchObject({ remaining: 0, expired_units: 30 });
    expect(await readBooks(handle.db)).toMatchObject({
      unbalancedGrants: [],
      ledgerUnits: 0,
      bucketUnits: 0,
    });
  });

  it('a full refund of a half-used pack removes the unspent half; a 30 % refund of an unused one removes 30 %', async () => {
    const half = await makeUser(handle.db);
    const used = await grant(handle.db, half.accountId, 100, { paymentIntentId: 'pi_half' });
    await reserveUnits(handle.db, half.owner, 'r', 60, 10); // 10 allowance + 50 pack
    const full = await applyPackRefund(handle.db, { paymentIntentId: 'pi_half', amountRefundedCents: 1000 });
    expect(full).toMatchObject({ clawbackUnits: 100, removedNow: 50, owed: 50 });
    expect((await grantRow(handle.db, used.id))?.remaining).toBe(0);

    const fresh = await makeUser(handle.db);
    const unused = await grant(handle.db, fresh.accountId, 100, { paymentIntentId: 'pi_fresh' });
    const thirty = await applyPackRefund(handle.db, {
      paymentIntentId: 'pi_fresh',
      amountRefundedCents: 300,
    });
    expect(thirty).toMatchObject({ clawbackUnits: 30, removedNow: 30, owed: 0 });
    // The same refund again, and an older (smaller) cumulative amount delivered late: nothing more.
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_fresh', amountRefundedCents: 300 });
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_fresh', amountRefundedCents: 100 });
    expect(await grantRow(handle.db, unused.id)).toMatchObject({ remaining: 70, clawed_back_units: 30 });
    // 1 cent more: ⌈100 × 301 ÷ 1000⌉ = 31.
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_fresh', amountRefundedCents: 301 });
    expect((await grantRow(handle.db, unused.id))?.remaining).toBe(69);
    expect(await readBooks(handle.db)).toMatchObject({ unbalancedGrants: [], unbalancedRuns: [] });
  });

  it('units a refunded pack gets back later pay what the refund still claws back first', async () => {
    const user = await makeUser(handle.db);
    const pack = await grant(handle.db, user.accountId, 10, { paymentIntentId: 'pi_owed' });
    await reserveUnits(handle.db, user.owner, 'r', 20, 10); // 10 allowance + all 10 of the pack
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_owed', amountRefundedCents: 1000 });
    expect(await grantRow(handle.db, pack.id)).toMatchObject({
      remaining: 0,
      clawback_units: 10,
      clawed_back_units: 0,
    });
    await releaseRun(handle.db, {
      accountId: user.accountId,
      runId: 'r',
      actor: SERVICE,
      reason: 'service',
      now: LATER,
    });
    // The 10 that came back went to the clawback, not to the balance.
    expect(await grantRow(handle.db, pack.id)).toMatchObject({ remaining: 0, clawed_back_units: 10 });
    expect(tally(await reserveRuns(handle.db, [runOf(user.owner, 'n', 10, { units: 11 })]))).toEqual({
      limit_reached: 1,
    });
    expect(await readBooks(handle.db)).toMatchObject({
      unbalancedGrants: [],
      ledgerUnits: 0,
      bucketUnits: 0,
    });
  });

  it('a refund of a charge that paid no pack changes nothing', async () => {
    expect(
      await applyPackRefund(handle.db, { paymentIntentId: 'pi_subscription', amountRefundedCents: 500 }),
    ).toBeNull();
  });
});
