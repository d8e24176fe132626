import { listMeterBatches, type Database } from '@tollgate/db';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { PLANS } from '@tollgate/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMeterReconciliation, createMeterReporter } from '@tollgate/api';
import {
  journalTotal,
  meteredAccount,
  recordingLogger,
  startMeteredStripe,
  startRuns,
  subscribeMetered,
  type MeteredAccount,
  type MeteredStripe,
} from './overage-metering-helpers';

// A cancel and resubscribe mid-month leaves two usage periods of one account overlapping in time:
// P1 [T0, T0+1mo) and P2 [T0+x, …). Stripe's meter summaries are per customer, so each period's window
// also holds the other's events: the reconciliation must compare them together, never one by one.

const HOUR_MS = 3_600_000;
const METER_EVENTS = '/v1/billing/meter_events';

let kit: MeteredStripe;
let handle: TestDbHandle;
const db = (): Database => handle.db;

beforeAll(async () => {
  [kit, handle] = await Promise.all([startMeteredStripe(0), createTestDb()]);
});
afterAll(async () => {
  await kit?.emulator.close();
  await handle?.close();
});

function pipeline() {
  const logger = recordingLogger();
  const now = () => kit.emulator.clock.now();
  // A failed send waits an hour: the test decides when the next one happens.
  const reporter = createMeterReporter({
    db: db(),
    billing: kit.settings,
    now,
    logger,
    backoffMs: [HOUR_MS],
    requestOptions: { maxNetworkRetries: 0 },
  });
  const reconciliation = createMeterReconciliation({
    db: db(),
    billing: kit.settings,
    now,
    logger,
    reporter,
    quietMs: 0,
  });
  return { logger, reporter, reconciliation };
}

/** Cancels the account's subscription at Stripe and subscribes again: P2 starts now, P1 still stands. */
async function resubscribe(account: MeteredAccount): Promise<MeteredAccount> {
  const { stripe, emulator } = kit;
  await stripe.subscriptions.cancel(account.subscriptionId);
  const { subscriptionId, period } = await subscribeMetered(kit, db(), account);
  const resubscribed = { ...account, subscriptionId, period };
  // The new period's plan runs are spent too: its runs from here on are overage.
  await startRuns(db(), resubscribed, PLANS.BASIC.runLimit ?? 0, {
    prefix: 'p2-plan',
    now: emulator.clock.now(),
  });
  return resubscribed;
}

/** Stripe's uncanceled total for the customer over both periods: what it bills in all. */
const stripeTotal = (p1: MeteredAccount, p2: MeteredAccount) =>
  kit.control.meterTotal(
    kit.settings.overage.meterId,
    p1.customerId,
    p1.period.start.getTime() / 1_000,
    Math.max(p1.period.end.getTime(), p2.period.end.getTime()) / 1_000,
  );

async function periodIdOf(account: MeteredAccount, prefix: string): Promise<string> {
  const batches = await listMeterBatches(db(), { accountId: account.accountId });
  const batch = batches.find((candidate) => candidate.value > 0 && candidate.kind === 'usage');
  if (!batch) throw new Error(`no batch for ${prefix}`);
  return batch.periodId;
}

/** P1 with 10 overage runs reported at T0, P2 `hoursLater` with 5 (and, late, 2 more of P1's). */
async function overlappingPeriods(hoursLater: number) {
  const { reporter } = pipeline();
  const p1 = await meteredAccount(kit, db());
  await startRuns(db(), p1, 10, { prefix: 'p1', now: kit.emulator.clock.now() });
  expect(await reporter.runOnce()).toMatchObject({ delivered: 1 });
  const p1Id = await periodIdOf(p1, 'p1');
  await kit.emulator.clock.advance((hoursLater * HOUR_MS) / 1_000);
  const p2 = await resubscribe(p1);
  await startRuns(db(), p2, 5, { prefix: 'p2', now: kit.emulator.clock.now() });
  // Two runs started in P1 before the cancel are journaled only now: flushed late, stamped now — a time
  // inside P1's window and P2's alike.
  await startRuns(db(), p1, 2, { prefix: 'p1-late', now: kit.emulator.clock.now() });
  expect(await reporter.runOnce()).toMatchObject({ delivered: 2 });
  const batches = await listMeterBatches(db(), { accountId: p1.accountId });
  const p2Id = batches.find((batch) => batch.periodId !== p1Id)?.periodId;
  if (!p2Id) throw new Error('no batch of P2');
  expect(await journalTotal(db(), p1.accountId)).toBe(17);
  expect(await stripeTotal(p1, p2)).toBe(17);
  return { p1, p2, p1Id, p2Id };
}

/** The money of a report, then (checked apart) the periods it compared together. */
const summary = (report: { ledger: number; stripe: number | null; action: string }) => ({
  ledger: report.ledger,
  stripe: report.stripe,
  action: report.action,
});
const periodsOf = (report: { periodIds?: string[] }) => [...(report.periodIds ?? [])].sort();

describe('overage meter reconciliation: overlapping periods of one account (cancel and resubscribe)', () => {
  it('resubscribed within 23 hours: both periods reconcile to nothing to do, no genuine batch is canceled', async () => {
    const { p1, p2, p1Id, p2Id } = await overlappingPeriods(3);
    const { reconciliation, logger } = pipeline();
    const both = [p1Id, p2Id].sort();
    const accountId = p1.accountId;
    for (const periodId of [p1Id, p2Id, p1Id, p2Id]) {
      const report = await reconciliation.reconcilePeriod({ accountId, periodId });
      expect(summary(report)).toEqual({ ledger: 17, stripe: 17, action: 'none' });
      expect(periodsOf(report)).toEqual(both);
    }
    const batches = await listMeterBatches(db(), { accountId });
    // P2's and P1's late batch come from one flush (same time): compared in any order.
    expect(batches.map((batch) => `${batch.kind} ${batch.value} ${batch.status}`).sort()).toEqual([
      'usage 10 delivered',
      'usage 2 delivered',
      'usage 5 delivered',
    ]);
    expect(await stripeTotal(p1, p2)).toBe(await journalTotal(db(), accountId));
    // A pass over recent periods compares the pair once, and a second pass agrees.
    for (let pass = 0; pass < 2; pass += 1) {
      const recent = await reconciliation.reconcileRecent({ endedAfter: p1.period.start });
      const ours = recent.filter((report) => report.accountId === accountId);
      expect(ours.map(summary)).toEqual([{ ledger: 17, stripe: 17, action: 'none' }]);
      expect(ours.map(periodsOf)).toEqual([both]);
    }
    expect(logger.lines.filter((line) => line.level !== 'info')).toEqual([]);
  });

  it('resubscribed two days later: no false "overbilled"; a lost batch of P2 is repaired in P2, once', async () => {
    const { p1, p2, p1Id, p2Id } = await overlappingPeriods(48);
    const { reconciliation, reporter, logger } = pipeline();
    const both = [p1Id, p2Id].sort();
    const accountId = p1.accountId;
    for (const periodId of [p1Id, p2Id]) {
      const report = await reconciliation.reconcilePeriod({ accountId, periodId });
      expect(summary(report)).toEqual({ ledger: 17, stripe: 17, action: 'none' });
      expect(periodsOf(report)).toEqual(both);
    }
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);

    // Three more runs in P2 whose batch Stripe never gets: abandoned 23 hours later.
    await startRuns(db(), p2, 3, { prefix: 'p2-lost', now: kit.emulator.clock.now() });
    kit.emulator.faults.set({ method: 'POST', path: METER_EVENTS, status: 500, times: 1 });
    expect(await reporter.runOnce()).toMatchObject({ retried: 1 });
    kit.emulator.faults.clear();
    await kit.emulator.clock.advance(23 * 3_600 + 60);
    expect(await reporter.deliver()).toMatchObject({ claimed: 0 });
    const repaired = await reconciliation.reconcilePeriod({ accountId, periodId: p1Id });
    expect(summary(repaired)).toEqual({ ledger: 20, stripe: 17, action: 'repair' });
    const batches = await listMeterBatches(db(), { accountId });
    const repair = batches.find((batch) => batch.id === repaired.repair?.batchId);
    // The repair goes to the period whose units were lost, stamped inside P2's window.
    expect(repair).toMatchObject({ kind: 'repair', value: 3, status: 'delivered', periodId: p2Id });
    expect(repair?.eventAt.getTime()).toBeGreaterThanOrEqual(p2.period.start.getTime());
    expect(batches.filter((batch) => batch.status === 'canceled')).toEqual([]);
    for (const periodId of [p2Id, p1Id]) {
      expect(summary(await reconciliation.reconcilePeriod({ accountId, periodId }))).toEqual({
        ledger: 20,
        stripe: 20,
        action: 'none',
      });
    }
    expect(await stripeTotal(p1, p2)).toBe(await journalTotal(db(), accountId));
  });
});
