import { describe, expect, it } from 'vitest';
import {
  claimDueMeterBatches,
  finishMeterBatchAttempt,
  flushOverage,
  groupWindow,
  linkStripeCustomer,
  listMeterBatches,
  markMeterBatchCanceled,
  meterPeriodBooks,
  overlappingGroup,
  reserveRuns,
  settleMeterPeriod,
  startRun,
} from '../src';
import type { Database } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { PRICE, setSpend } from './overage-helpers';
import { NOW, PERIOD, SERVICE, runOf } from './reservation-helpers';
import type { RunOwner } from './reservation-helpers';

const handle = useTestDb();
const EVENT = 'tollgate_overage_runs';
const DAY_MS = 86_400_000;
const day = (n: number) => new Date(Date.UTC(2025, 2, 1) + n * DAY_MS);
const span = (periodId: string, from: number, to: number) => ({ periodId, start: day(from), end: day(to) });
// Cancel and resubscribe on March 11th: the new period overlaps the old one's last 20 days.
const RESUBSCRIBED = { start: day(10), end: day(41) };

describe('overlappingGroup: the periods whose meter events one window can hold', () => {
  const cases: [string, ReturnType<typeof span>[], string, string[]][] = [
    ['a lone period', [span('a', 0, 31)], 'a', ['a']],
    ['periods that only touch stay apart', [span('a', 0, 31), span('b', 31, 61)], 'b', ['b']],
    ['a resubscribe overlaps the canceled period', [span('a', 0, 31), span('b', 10, 41)], 'a', ['a', 'b']],
    [
      'overlaps chain (a FREE period beside both), listed in any order',
      [span('c', 35, 66), span('b', 10, 41), span('a', 0, 31), span('d', 66, 96)],
      'a',
      ['a', 'b', 'c'],
    ],
    ['a period inside another', [span('a', 0, 31), span('b', 5, 8), span('c', 31, 61)], 'b', ['a', 'b']],
    ['an unknown period', [span('a', 0, 31)], 'x', []],
  ];
  it.each(cases)('%s', (_, periods, periodId, expected) => {
    expect(overlappingGroup(periods, periodId).map((period) => period.periodId)).toEqual(expected);
  });

  it('the group’s window runs from its first whole minute to its last', () => {
    const start = new Date(day(0).getTime() + 30_000);
    expect(groupWindow([{ ...span('a', 0, 31), start }, span('b', 10, 41)])).toEqual({
      start: new Date(day(0).getTime() + 60_000),
      end: day(41),
    });
  });
});

async function overageRuns(db: Database, owner: RunOwner, prefix: string, count: number, period = PERIOD) {
  const inputs = Array.from({ length: count }, (_, i) =>
    runOf(owner, `${prefix}${i}`, 0, { overagePrice: PRICE, period }),
  );
  await reserveRuns(db, inputs);
  for (const input of inputs) {
    await startRun(db, { accountId: owner.accountId, runId: input.runId, actor: SERVICE, now: NOW });
  }
}

async function deliverAll(db: Database, accountId: string) {
  for (;;) {
    const [claimed] = await claimDueMeterBatches(db, { now: NOW, limit: 1, leaseMs: 60_000, accountId });
    if (!claimed) return;
    await finishMeterBatchAttempt(db, claimed, { status: 'delivered', at: NOW });
  }
}

describe('meterPeriodBooks and settleMeterPeriod over overlapping periods', () => {
  it('read and settle the group as one: ledgers summed, a repair in the period missing its units', async () => {
    const db = handle.db;
    const user = await makeUser(db);
    await setSpend(db, user.accountId, { overageEnabled: true });
    await linkStripeCustomer(db, user.accountId, 'cus_overlap');
    await overageRuns(db, user.owner, 'p1-', 10);
    await flushOverage(db, { now: NOW, eventName: EVENT });
    await overageRuns(db, user.owner, 'p2-', 5, RESUBSCRIBED);
    await flushOverage(db, { now: NOW, eventName: EVENT });
    await deliverAll(db, user.accountId);
    const batches = await listMeterBatches(db, { accountId: user.accountId });
    // Both made at NOW (listed by id then): told apart by their values.
    const p1Batch = batches.find((batch) => batch.value === 10);
    const p2Batch = batches.find((batch) => batch.value === 5);
    if (!p1Batch || !p2Batch) throw new Error('two batches expected');

    const books = await meterPeriodBooks(db, { accountId: user.accountId, periodId: p1Batch.periodId });
    expect(books).toMatchObject({ ledger: 15, start: PERIOD.start, end: PERIOD.end });
    expect(books?.window).toEqual({ start: PERIOD.start, end: RESUBSCRIBED.end });
    expect(books?.periods.map(({ periodId, ledger }) => [periodId, ledger])).toEqual([
      [p1Batch.periodId, 10],
      [p2Batch.periodId, 5],
    ]);
    expect(books?.batches.map((batch) => batch.id).sort()).toEqual([p1Batch.id, p2Batch.id].sort());

    const base = {
      accountId: user.accountId,
      periodId: p1Batch.periodId,
      eventName: EVENT,
      now: NOW,
      canceledBatchId: null,
    };
    const periods = [p1Batch.periodId, p2Batch.periodId];
    // Compared while P1 stood alone: the group grew since, nothing is decided.
    const alone = { ledger: 10, batches: 1, periods: [p1Batch.periodId] };
    expect(await settleMeterPeriod(db, { ...base, expected: alone, stripeTotal: 10 })).toEqual({
      outcome: 'changed',
    });
    expect(
      await settleMeterPeriod(db, {
        ...base,
        expected: { ledger: 15, batches: 2, periods },
        stripeTotal: 15,
      }),
    ).toEqual({ outcome: 'matched', stamped: 0 });
    // P2's event was canceled at Stripe: the repair goes to P2, stamped inside P2's window.
    await markMeterBatchCanceled(db, p2Batch);
    const repaired = await settleMeterPeriod(db, {
      ...base,
      expected: { ledger: 15, batches: 2, periods },
      stripeTotal: 10,
    });
    if (repaired.outcome !== 'repair') throw new Error(`a repair expected, got ${repaired.outcome}`);
    expect(repaired.value).toBe(5);
    const [repair] = await listMeterBatches(db, { accountId: user.accountId, ids: [repaired.batchId] });
    expect(repair).toMatchObject({ kind: 'repair', value: 5, periodId: p2Batch.periodId });
    // NOW is before P2 starts: kept inside P2's window, so P2's invoice bills it.
    expect(repair?.eventAt).toEqual(RESUBSCRIBED.start);
  });
});
