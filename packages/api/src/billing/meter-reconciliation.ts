import {
  listMeteredPeriods,
  markMeterBatchCanceled,
  meterPeriodBooks,
  METER_BATCH_MAX_AGE_MS,
  settleMeterPeriod,
  type Database,
  type MeterBatchRow,
} from '@tollgate/db';
import Stripe from 'stripe';
import type { Logger } from '../logger';
import { infallibleMetrics, type Metrics, type ReconciliationTally } from '../metrics';
import type { MeterReporter } from './meter-reporter';
import type { BillingSettings } from './stripe-settings';

export interface MeterReconciliationOptions {
  db: Database;
  billing: Pick<BillingSettings, 'stripe' | 'overage'>;
  now: () => Date;
  logger: Logger;
  /** Delivers what the reconciliation decides (and flushes the account before it compares). */
  reporter: MeterReporter;
  /**
   * Stripe's summaries aggregate asynchronously: a period whose last batch was made or delivered less
   * than this ago is left for a later pass (default 10 minutes).
   */
  quietMs?: number;
  /** Each pass over recent periods is counted (see `Metrics.reconciliation`). */
  metrics?: Metrics;
}

export type MeterReconciliationAction =
  /** Stripe has exactly the ledger's total. */
  | 'none'
  /** Stripe had less: a repair batch of the difference was made (and sent). */
  | 'repair'
  /** Stripe had more: recent batches were canceled, and a repair re-sent what must remain. */
  | 'cancel_and_repair'
  /** Stripe had more: canceling recent batches made it exact. */
  | 'cancel'
  /** Stripe has more and the rest is older than 24 hours (can't be canceled): an operator must credit it. */
  | 'overbilled'
  /** A batch of the period is still pending (or just sent): Stripe's total isn't final, try later. */
  | 'pending'
  /** The books moved while comparing: try again. */
  | 'changed'
  | 'no_customer'
  | 'not_found'
  /** Stripe failed to answer (see `error`): nothing decided beyond the cancels listed. */
  | 'error';

export interface MeterReconciliationReport {
  accountId: string;
  periodId: string;
  /**
   * The periods compared together: `periodId` and the account's periods overlapping it (a cancel and
   * resubscribe mid-month), whose events Stripe's total over its window also holds. Mostly just itself.
   */
  periodIds: string[];
  /** Σ of the journal entries of `periodIds`: the overage Stripe must bill for them. */
  ledger: number;
  /** Stripe's total over their window as read, before any cancel (null: not read). */
  stripe: number | null;
  action: MeterReconciliationAction;
  canceledBatchIds: string[];
  repair: { batchId: string; value: number } | null;
  /** 'overbilled': units Stripe bills beyond the ledger. */
  excess: number;
  error: string | null;
}

/**
 * Compares each period's ledger (Σ of its journal entries) with Stripe's event summaries over the
 * period's window, and makes Stripe's side right through the same delivery path. Stripe's summaries are
 * per customer, so where an account's periods overlap (cancel and resubscribe mid-month) one period's
 * window also holds the other's events: such periods are compared as one group, Stripe's total over the
 * group's window against the sum of their ledgers (why not cut windows: see `overlappingGroup`).
 * Cancels and repairs then act on the group's batches:
 * - Stripe has less (a batch abandoned after 23 hours that never arrived, one Stripe refused): a `repair`
 *   batch of the difference.
 * - Stripe has more (a settle gave back overage already reported; an abandoned batch that did arrive
 *   while its units were also repaired): the group's most recent delivered batches still inside
 *   Stripe's 24-hour window are canceled with meter event adjustments, newest first, until Stripe has
 *   no more than the ledger, and a repair re-sends what must remain.
 * It compares only when none of the group's batches is pending (one may be at Stripe or not); entries
 * not yet in a batch are accounted for by the decision, so no flush reports them again.
 */
export function createMeterReconciliation(options: MeterReconciliationOptions) {
  const { db, billing, now, logger, reporter } = options;
  const quietMs = options.quietMs ?? 600_000;
  const metrics = infallibleMetrics(options.metrics);

  async function stripeTotal(meterId: string, customer: string, window: { start: Date; end: Date }) {
    const summaries = await billing.stripe.billing.meters.listEventSummaries(meterId, {
      customer,
      start_time: Math.floor(window.start.getTime() / 1_000),
      end_time: Math.floor(window.end.getTime() / 1_000),
    });
    return summaries.data.reduce((sum, summary) => sum + summary.aggregated_value, 0);
  }

  /** Cancels `batch`'s event at Stripe; an event already canceled counts as canceled. */
  async function cancelAtStripe(batch: MeterBatchRow): Promise<void> {
    try {
      await billing.stripe.billing.meterEventAdjustments.create({
        event_name: batch.eventName,
        type: 'cancel',
        cancel: { identifier: batch.id },
      });
    } catch (error) {
      const isAlreadyCanceled =
        error instanceof Stripe.errors.StripeInvalidRequestError &&
        /already been canceled/i.test(error.message);
      if (!isAlreadyCanceled) throw error;
    }
    await markMeterBatchCanceled(db, batch);
  }

  async function reconcilePeriod(ref: {
    accountId: string;
    periodId: string;
  }): Promise<MeterReconciliationReport> {
    const overage = billing.overage;
    if (!overage) throw new Error('meter reconciliation: overage billing is not configured');
    await reporter.flushAccountNow(ref.accountId);
    const at = now();
    const books = await meterPeriodBooks(db, ref);
    const report: MeterReconciliationReport = {
      ...ref,
      periodIds: books?.periods.map((period) => period.periodId) ?? [ref.periodId],
      ledger: books?.ledger ?? 0,
      stripe: null,
      action: 'none',
      canceledBatchIds: [],
      repair: null,
      excess: 0,
      error: null,
    };
    if (!books) return { ...report, action: 'not_found' };
    if (!books.stripeCustomerId) return { ...report, action: 'no_customer' };
    const lastActivity = Math.max(
      0,
      ...books.batches.map((batch) => (batch.deliveredAt ?? batch.createdAt).getTime()),
    );
    if (books.batches.some((batch) => batch.status === 'pending') || lastActivity > at.getTime() - quietMs) {
      return { ...report, action: 'pending' };
    }
    let current: number;
    try {
      current = await stripeTotal(overage.meterId, books.stripeCustomerId, books.window);
    } catch (error) {
      return failed(report, error);
    }
    report.stripe = current;
    // Received by Stripe no earlier than it was made: made within 23 h, it is inside Stripe's 24 h.
    const cancelable = books.batches
      .filter(
        (batch) =>
          batch.status === 'delivered' && batch.createdAt.getTime() > at.getTime() - METER_BATCH_MAX_AGE_MS,
      )
      .reverse();
    for (const batch of cancelable) {
      if (current <= books.ledger) break;
      try {
        await cancelAtStripe(batch);
      } catch (error) {
        return failed(report, error);
      }
      report.canceledBatchIds.push(batch.id);
      current -= batch.value;
    }
    const settled = await settleMeterPeriod(db, {
      ...ref,
      expected: { ledger: books.ledger, batches: books.batches.length, periods: report.periodIds },
      stripeTotal: current,
      canceledBatchId: report.canceledBatchIds.at(-1) ?? null,
      eventName: overage.eventName,
      now: at,
    });
    const hasCanceled = report.canceledBatchIds.length > 0;
    if (settled.outcome === 'changed') return log({ ...report, action: 'changed' });
    if (settled.outcome === 'overbilled')
      return log({ ...report, action: 'overbilled', excess: settled.excess });
    if (settled.outcome === 'matched') return log({ ...report, action: hasCanceled ? 'cancel' : 'none' });
    await reporter.flushAccountNow(ref.accountId);
    return log({
      ...report,
      action: hasCanceled ? 'cancel_and_repair' : 'repair',
      repair: { batchId: settled.batchId, value: settled.value },
    });
  }

  function failed(report: MeterReconciliationReport, error: unknown): MeterReconciliationReport {
    return log({ ...report, action: 'error', error: error instanceof Error ? error.message : String(error) });
  }

  function log(report: MeterReconciliationReport): MeterReconciliationReport {
    if (report.action === 'overbilled' || report.action === 'error') {
      logger.error('overage meter reconciliation needs an operator', { ...report });
    } else if (report.action !== 'none') {
      logger.info('overage meter reconciled', { ...report });
    }
    return report;
  }

  /**
   * Every period with overage that ended after `endedAfter` (or is still open), one at a time; a period
   * already compared in an earlier one's group is not compared again.
   */
  async function reconcileRecent(input: {
    endedAfter: Date;
    limit?: number;
  }): Promise<MeterReconciliationReport[]> {
    const reports: MeterReconciliationReport[] = [];
    const compared = new Set<string>();
    for (const ref of await listMeteredPeriods(db, input)) {
      if (compared.has(`${ref.accountId}:${ref.periodId}`)) continue;
      const report = await reconcilePeriod(ref);
      for (const periodId of report.periodIds) compared.add(`${ref.accountId}:${periodId}`);
      reports.push(report);
    }
    metrics.reconciliation('stripe_meter', tallyOf(reports));
    return reports;
  }

  return { reconcilePeriod, reconcileRecent };
}

export type MeterReconciliation = ReturnType<typeof createMeterReconciliation>;

const CORRECTING: ReadonlySet<MeterReconciliationAction> = new Set(['repair', 'cancel', 'cancel_and_repair']);
const FAILING: ReadonlySet<MeterReconciliationAction> = new Set(['overbilled', 'error']);

/** A pass in numbers: periods compared, made right at Stripe, left for an operator. */
function tallyOf(reports: readonly MeterReconciliationReport[]): ReconciliationTally {
  return {
    checked: reports.length,
    corrected: reports.filter((report) => CORRECTING.has(report.action)).length,
    failed: reports.filter((report) => FAILING.has(report.action)).length,
  };
}
