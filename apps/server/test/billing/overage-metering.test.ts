import {
  listMeterBatches,
  meterWindow,
  queryRows,
  reserveRuns,
  settleRun,
  startRun,
  type Database,
} from '@tollgate/db';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { OVERAGE_PRICE, overageAmountCents } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMeterReconciliation, createMeterReporter, type DeliveryTally } from '@tollgate/api';
import {
  advanceTo,
  invoiceCreatedEvent,
  journalTotal,
  meteredAccount,
  recordingLogger,
  renewalOf,
  startMeteredStripe,
  startRuns,
  type MeteredAccount,
  type MeteredStripe,
} from './overage-metering-helpers';

const METER_EVENTS = '/v1/billing/meter_events';
const HOUR_SECONDS = 3_600;

let kit: MeteredStripe;
let handle: TestDbHandle;
const db = (): Database => handle.db;

beforeAll(async () => {
  // Each meter event call holds its (customer, meter) slot for 5 ms: a second concurrent call for the
  // same customer would get 429, so a serialization bug shows up as rate-limit warnings.
  [kit, handle] = await Promise.all([startMeteredStripe(5), createTestDb()]);
});
afterAll(async () => {
  await kit?.emulator.close();
  await handle?.close();
});

function reporterFor(backoffMs: readonly number[] = [5, 10, 20], logger = recordingLogger()) {
  const reporter = createMeterReporter({
    db: db(),
    billing: kit.settings,
    now: () => kit.emulator.clock.now(),
    logger,
    leaseMs: 10_000,
    backoffMs,
    // The SDK's own retries (same idempotency key) would hide most faults: the reporter's are under test.
    requestOptions: { maxNetworkRetries: 0 },
  });
  return { reporter, logger };
}

const meterTotal = (account: MeteredAccount) =>
  kit.control.meterTotal(
    kit.settings.overage.meterId,
    account.customerId,
    account.period.start.getTime() / 1_000,
    account.period.end.getTime() / 1_000,
  );

/** This round's runs of an account: an equal share, the remainder in the first round. */
const shareOf = (count: number, round: number, rounds: number) =>
  Math.floor(count / rounds) + (round === 0 ? count % rounds : 0);

async function isEveryBatchDelivered(): Promise<boolean> {
  const [row] = await queryRows<{ undelivered: number }>(
    db(),
    sql`select count(*)::int as undelivered from meter_batches where status <> 'delivered'`,
  );
  return row?.undelivered === 0;
}

async function isAllDelivered(): Promise<boolean> {
  const [row] = await queryRows<{ unbatched: number; undelivered: number }>(
    db(),
    sql`select (select count(*) from overage_entries where batch_id is null)::int as unbatched,
          (select count(*) from meter_batches where status <> 'delivered')::int as undelivered`,
  );
  return row?.unbatched === 0 && row.undelivered === 0;
}

function addTally(total: DeliveryTally, tally: DeliveryTally) {
  for (const key of Object.keys(total) as (keyof DeliveryTally)[]) total[key] += tally[key];
}

describe('overage metering: the ledger reaches Stripe exactly once through faults', () => {
  it('10,000 overage runs, 20 % of meter calls failing and lost responses at the same time → Stripe’s total equals the ledger; the final renewal invoice bills it', async () => {
    const counts = [2_501, 2_500, 2_499, 2_500];
    const accounts: MeteredAccount[] = [];
    for (const _ of counts) accounts.push(await meteredAccount(kit, db()));
    // Two reporters over one database: two server processes.
    const first = reporterFor();
    const second = reporterFor();
    const tally: DeliveryTally = {
      claimed: 0,
      delivered: 0,
      duplicates: 0,
      retried: 0,
      abandoned: 0,
      lost: 0,
    };
    const bothPasses = async (kind: 'runOnce' | 'deliver' = 'runOnce') => {
      const passes = await Promise.all([first.reporter[kind](), second.reporter[kind]()]);
      for (const pass of passes) addTally(tally, pass);
    };
    /** Passes until nothing is left (or only what `isDone` ignores); the faults end after 20 passes. */
    const passUntil = async (isDone: () => Promise<boolean>, kind: 'runOnce' | 'deliver') => {
      for (let i = 0; i < 100 && !(await isDone()); i += 1) {
        if (i === 20) kit.emulator.faults.clear();
        await new Promise((resolve) => setTimeout(resolve, 25));
        await bothPasses(kind);
      }
      expect(await isDone()).toBe(true);
    };
    // Both faults on every meter call at once (the emulator gives each rule its chance in order): 20 %
    // fail with a 500, and half of the others are recorded but their answer is lost. The SDK retries a
    // dropped connection once by itself, into the same faults, so about a fifth of all calls end lost.
    const injectFaults = (seed: number) => {
      kit.emulator.faults.clear();
      kit.emulator.faults.set({ method: 'POST', path: METER_EVENTS, status: 500, rate: 0.2, seed });
      kit.emulator.faults.set({
        method: 'POST',
        path: METER_EVENTS,
        dropResponse: true,
        rate: 0.5,
        seed: 1_000 + seed,
      });
    };
    const rounds = 10;
    const startedAt = Date.now();
    for (let round = 0; round < rounds; round += 1) {
      const shares = counts.map((count) => shareOf(count, round, rounds));
      const overage = await Promise.all(
        accounts.map((account, a) =>
          startRuns(db(), account, shares[a] ?? 0, { prefix: `r${round}`, now: kit.emulator.clock.now() }),
        ),
      );
      expect(overage).toEqual(shares);
      if (round === rounds - 1) break; // the last round's runs start as the period ends: not reported yet
      injectFaults(round + 1);
      await bothPasses();
      if (round === rounds - 2) {
        // The period's other batches are all delivered long before its end (the test jumps a month
        // ahead next: a batch still waiting then would be older than Stripe's 24 hours).
        await passUntil(isEveryBatchDelivered, 'deliver');
      }
    }
    const runsMs = Date.now() - startedAt;
    const atPeriodEnd = await Promise.all(accounts.map((account) => meterTotal(account)));
    expect(atPeriodEnd).toEqual(counts.map((count) => count - shareOf(count, rounds - 1, rounds)));

    // The period ends: Stripe drafts each renewal with the usage it has so far and sends invoice.created.
    const end = Math.max(...accounts.map((account) => account.period.end.getTime() / 1_000));
    await advanceTo(kit, end + 60);
    const drafts: Stripe.Invoice[] = [];
    for (const [a, account] of accounts.entries()) {
      const { invoice, usage } = await renewalOf(kit, account);
      expect(invoice).toMatchObject({ status: 'draft', customer: account.customerId });
      expect(usage?.quantity).toBe(atPeriodEnd[a]);
      expect(await invoiceCreatedEvent(kit, invoice.id)).toMatchObject({
        status: 'draft',
        customer: account.customerId,
      });
      drafts.push(invoice);
    }
    // What the server does on invoice.created (through the same faults), then its passes in the hour.
    injectFaults(rounds);
    for (const [a, draft] of drafts.entries()) {
      const reporter = a % 2 === 0 ? first.reporter : second.reporter;
      const flushed = await reporter.flushBeforeInvoice(String(draft.customer));
      if (flushed) addTally(tally, flushed);
    }
    await passUntil(isAllDelivered, 'runOnce');
    kit.emulator.faults.clear();

    // The faults were felt: failures retried, lost answers delivered by "already exists".
    expect(tally.retried).toBeGreaterThan(0);
    expect(tally.duplicates).toBeGreaterThan(0);
    expect(tally.abandoned).toBe(0);
    // One call per customer at a time, across both reporters: Stripe never answered 429.
    const logs = [...first.logger.lines, ...second.logger.lines];
    expect(
      logs.filter((line) => /concurrent requests|rate.limit/i.test(JSON.stringify(line.fields))),
    ).toEqual([]);
    expect(logs.filter((line) => line.level === 'error')).toEqual([]);

    const batches = await listMeterBatches(db());
    expect(batches.every((batch) => batch.status === 'delivered' && batch.kind === 'usage')).toBe(true);
    // The batches made after the period end carry a timestamp inside it (the window's last second).
    const late = batches.filter((batch) => batch.createdAt.getTime() >= end * 1_000);
    expect(late.length).toBeGreaterThanOrEqual(accounts.length);
    for (const batch of late) {
      const account = accounts.find((candidate) => candidate.customerId === batch.stripeCustomerId);
      if (!account) throw new Error(`batch of an unknown customer ${batch.stripeCustomerId}`);
      expect(batch.eventAt.getTime()).toBe(meterWindow(account.period).end.getTime() - 1_000);
    }
    const [unreported] = await queryRows<{ n: number }>(
      db(),
      sql`select count(*)::int as n from overage_entries e
          left join meter_batches b on b.account_id = e.account_id and b.id = e.batch_id
          where b.status is distinct from 'delivered'`,
    );
    expect(unreported?.n).toBe(0);
    // Each batch is the sum of its entries, and each reached Stripe as exactly one uncanceled event.
    const perBatch = await queryRows<{ batch_id: string; units: number }>(
      db(),
      sql`select batch_id, sum(units)::int as units from overage_entries group by batch_id`,
    );
    expect(new Map(perBatch.map((row) => [row.batch_id, row.units]))).toEqual(
      new Map(batches.map((batch) => [batch.id, batch.value])),
    );
    const state = (await kit.control.state()) as {
      meterEvents: { event: { identifier: string }; value: number; canceledAt: number | null }[];
    };
    const identifiers = state.meterEvents.filter((e) => e.canceledAt === null).map((e) => e.event.identifier);
    expect(identifiers.length).toBe(new Set(identifiers).size);
    expect(new Set(identifiers)).toEqual(new Set(batches.map((batch) => batch.id)));

    for (const [a, account] of accounts.entries()) {
      expect(await journalTotal(db(), account.accountId)).toBe(counts[a]);
      expect(await meterTotal(account)).toBe(counts[a]);
    }

    // The grace hour is over: each final invoice bills the account's whole overage at the catalog price.
    await advanceTo(kit, end + HOUR_SECONDS + 60);
    for (const [a, account] of accounts.entries()) {
      const { invoice, usage } = await renewalOf(kit, account);
      const count = counts[a] ?? 0;
      expect(invoice).toMatchObject({ id: drafts[a]?.id, status: 'paid' });
      expect(usage).toMatchObject({
        quantity: count,
        amount: overageAmountCents(count, OVERAGE_PRICE.unitAmountDecimal),
      });
    }
    // 2,501 × 12.5¢ = 31,262.5¢ → 31,263¢; 2,499 → 31,237.5¢ → 31,238¢ (half up, as Stripe rounds).
    expect(overageAmountCents(2_501, '12.5')).toBe(31_263);
    console.info(`overage metering: 10,000 runs reserved, started and reported in ${runsMs} ms`, tally);
  }, 180_000);
});

describe('overage meter reconciliation: Stripe’s summaries against the ledger', () => {
  it('an abandoned batch that reached Stripe needs nothing; one that did not is repaired; a give-back cancels and repairs', async () => {
    // A failed send waits an hour: the test decides when the next one happens.
    const { reporter, logger } = reporterFor([3_600_000]);
    const reconciliation = createMeterReconciliation({
      db: db(),
      billing: kit.settings,
      now: () => kit.emulator.clock.now(),
      logger,
      reporter,
      quietMs: 0,
    });
    const arrived = await meteredAccount(kit, db());
    const missing = await meteredAccount(kit, db());
    const now = () => kit.emulator.clock.now();
    await startRuns(db(), arrived, 30, { prefix: 'a', now: now() });
    await startRuns(db(), missing, 20, { prefix: 'm', now: now() });
    await reporter.flush();

    // `arrived`: Stripe records the event, the answer is lost (the SDK's own retry too).
    kit.emulator.faults.set({ method: 'POST', path: METER_EVENTS, dropResponse: true, times: 2 });
    expect(await reporter.deliver({ accountId: arrived.accountId })).toMatchObject({ retried: 1 });
    // `missing`: Stripe fails the call; nothing is recorded.
    kit.emulator.faults.set({ method: 'POST', path: METER_EVENTS, status: 500, times: 1 });
    expect(await reporter.deliver({ accountId: missing.accountId })).toMatchObject({ retried: 1 });
    kit.emulator.faults.clear();

    // 23 hours later neither was delivered: both are abandoned, never resent.
    await kit.emulator.clock.advance(23 * HOUR_SECONDS + 60);
    expect(await reporter.deliver()).toMatchObject({ claimed: 0 });
    const abandoned = await listMeterBatches(db());
    expect(
      abandoned
        .filter((batch) => [arrived.accountId, missing.accountId].includes(batch.accountId))
        .map((batch) => batch.status),
    ).toEqual(['abandoned', 'abandoned']);
    expect(logger.lines.filter((line) => /23 hours/.test(line.message))).toHaveLength(2);
    expect([await meterTotal(arrived), await meterTotal(missing)]).toEqual([30, 0]);

    // `gaveBack`: 5 units reported, then the run settles at 2: Stripe has 3 too many.
    const gaveBack = await meteredAccount(kit, db());
    const [reserved] = await reserveRuns(db(), [
      {
        accountId: gaveBack.accountId,
        userId: gaveBack.userId,
        countsMember: false,
        runId: 'big',
        limit: 0,
        period: gaveBack.period,
        units: 5,
        isBlocked: false,
        overagePrice: OVERAGE_PRICE.unitAmountDecimal,
        fingerprint: 'fp:big',
        actor: { kind: 'service', id: 'agent-backend' },
        now: now(),
      },
    ]);
    expect(reserved).toMatchObject({ outcome: 'reserved', unitsOverage: 5 });
    const ref = { accountId: gaveBack.accountId, runId: 'big' };
    await startRun(db(), { ...ref, actor: { kind: 'service', id: 'agent-backend' }, now: now() });
    await reporter.runOnce();
    expect(await meterTotal(gaveBack)).toBe(5);
    await settleRun(db(), { ...ref, actor: { kind: 'service', id: 'agent-backend' }, actual: 2, now: now() });
    // -3 can't be a meter event: the flush leaves it for the reconciliation.
    expect(await reporter.flush(gaveBack.accountId)).toEqual([]);
    expect(await journalTotal(db(), gaveBack.accountId)).toBe(2);

    const periodOf = async (account: MeteredAccount) => {
      const [batch] = await listMeterBatches(db(), { accountId: account.accountId });
      if (!batch) throw new Error('no batch');
      return { accountId: account.accountId, periodId: batch.periodId };
    };
    const reports = [];
    for (const account of [arrived, missing, gaveBack]) {
      reports.push(await reconciliation.reconcilePeriod(await periodOf(account)));
    }
    expect(
      reports.map(({ ledger, stripe, action, repair }) => ({
        ledger,
        stripe,
        action,
        repair: repair?.value,
      })),
    ).toEqual([
      { ledger: 30, stripe: 30, action: 'none', repair: undefined },
      { ledger: 20, stripe: 0, action: 'repair', repair: 20 },
      { ledger: 2, stripe: 5, action: 'cancel_and_repair', repair: 2 },
    ]);
    expect([await meterTotal(arrived), await meterTotal(missing), await meterTotal(gaveBack)]).toEqual([
      30, 20, 2,
    ]);
    const gaveBackBatches = await listMeterBatches(db(), { accountId: gaveBack.accountId });
    expect(gaveBackBatches.map((batch) => [batch.kind, batch.status, batch.value])).toEqual([
      ['usage', 'canceled', 5],
      ['repair', 'delivered', 2],
    ]);
    // The give-back is accounted for: no flush reports it again, and a second pass finds nothing to do.
    expect(await reporter.flush()).toEqual([]);
    for (const account of [arrived, missing, gaveBack]) {
      expect(await reconciliation.reconcilePeriod(await periodOf(account))).toMatchObject({ action: 'none' });
    }
    // Every period with overage in the last 40 days (the first test's accounts too) agrees with Stripe.
    const recent = await reconciliation.reconcileRecent({
      endedAfter: new Date(now().getTime() - 40 * 24 * HOUR_SECONDS * 1_000),
    });
    expect(recent.length).toBeGreaterThanOrEqual(3);
    expect(recent.filter((report) => report.action !== 'none' || report.ledger !== report.stripe)).toEqual(
      [],
    );
  });

  it('flushBeforeInvoice (invoice.created) delivers a customer’s overage now, even a batch waiting out its backoff', async () => {
    const { reporter } = reporterFor([3_600_000]);
    const account = await meteredAccount(kit, db());
    await startRuns(db(), account, 7, { prefix: 'inv', now: kit.emulator.clock.now() });
    kit.emulator.faults.set({ method: 'POST', path: METER_EVENTS, status: 503, times: 1 });
    expect(await reporter.runOnce()).toMatchObject({ retried: 1, delivered: 0 });
    expect(await reporter.deliver()).toMatchObject({ claimed: 0 }); // an hour of backoff
    await startRuns(db(), account, 2, { prefix: 'inv-more', now: kit.emulator.clock.now() });
    expect(await reporter.flushBeforeInvoice(account.customerId)).toMatchObject({ delivered: 2, retried: 0 });
    expect(await meterTotal(account)).toBe(9);
    expect(await reporter.flushBeforeInvoice('cus_unknown')).toBeNull();
  });
});

describe('overage at the period end: Stripe’s finalization grace period', () => {
  it('a batch made after the period end is timestamped inside the period and, delivered in the grace hour, is on the final invoice', async () => {
    const { reporter } = reporterFor();
    const account = await meteredAccount(kit, db());
    const end = account.period.end.getTime() / 1_000;
    await startRuns(db(), account, 4, { prefix: 'early', now: kit.emulator.clock.now() });
    await reporter.runOnce();
    // Three runs start in the period's last minutes; no pass runs before it ends.
    await advanceTo(kit, end - 120);
    await startRuns(db(), account, 3, { prefix: 'late', now: kit.emulator.clock.now() });

    await advanceTo(kit, end + 60);
    const { invoice: draft, usage: draftUsage } = await renewalOf(kit, account);
    expect(draft.status).toBe('draft');
    expect(draftUsage).toMatchObject({ quantity: 4, amount: overageAmountCents(4, '12.5') });
    expect(await invoiceCreatedEvent(kit, draft.id)).toMatchObject({ customer: account.customerId });

    // The server's invoice.created handler: the late runs become a batch now, stamped inside the period.
    expect(await reporter.flushBeforeInvoice(account.customerId)).toMatchObject({ delivered: 1 });
    const batches = await listMeterBatches(db(), { accountId: account.accountId });
    const lateBatch = batches.at(-1);
    expect(lateBatch?.value).toBe(3);
    expect(lateBatch?.createdAt.getTime()).toBeGreaterThanOrEqual(end * 1_000);
    expect(lateBatch?.eventAt.getTime()).toBe(meterWindow(account.period).end.getTime() - 1_000);
    expect(await meterTotal(account)).toBe(7);

    await advanceTo(kit, end + HOUR_SECONDS);
    const { invoice: final, usage } = await renewalOf(kit, account);
    expect(final).toMatchObject({ id: draft.id, status: 'paid' });
    // 7 × 12.5¢ = 87.5¢ → 88¢
    expect(usage).toMatchObject({ quantity: 7, amount: 88 });
  });
});
