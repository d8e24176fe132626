import {
  abandonExpiredMeterBatches,
  claimDueMeterBatches,
  findByStripeCustomerId,
  finishMeterBatchAttempt,
  flushOverage,
  renewMeterBatchLease,
  type ClaimedMeterBatch,
  type Database,
  type FlushResult,
} from '@tollgate/db';
import Stripe from 'stripe';
import type { Logger } from '../logger';
import type { BillingSettings } from './stripe-settings';

export interface MeterReporterOptions {
  db: Database;
  /** Without `overage` (no meter configured) the reporter does nothing. */
  billing: Pick<BillingSettings, 'stripe' | 'overage'>;
  now: () => Date;
  logger: Logger;
  /** Batches claimed per pass: at most one per account, so also the accounts sent to at once. */
  batchSize?: number;
  /**
   * How long a claim is held, on the database's clock (replicas' clocks may differ): past it, a batch whose
   * sender died is due again (same identifier).
   */
  leaseMs?: number;
  /** Delay before retry n (1-based), capped by the last entry. */
  backoffMs?: readonly number[];
  /** Passes of one deliver() at most (each pass sends one batch per account). */
  maxPasses?: number;
  /** Per-request options of the meter event call (e.g. the SDK's own retries). */
  requestOptions?: Stripe.RequestOptions;
}

export interface DeliveryTally {
  claimed: number;
  delivered: number;
  /** Of the delivered: Stripe already had the identifier (an earlier attempt got there, its answer didn't). */
  duplicates: number;
  retried: number;
  abandoned: number;
  /** Claims lost to another sender before the send (their lease ran out): not sent by this one. */
  lost: number;
}

type SendOutcome = 'delivered' | 'duplicate' | 'retried' | 'abandoned' | 'lost';

// Capped at 10 minutes so that a batch made at a period's end gets several tries within the hour before
// Stripe finalizes that period's invoice.
const DEFAULT_BACKOFF_MS = [1_000, 5_000, 30_000, 120_000, 300_000, 600_000] as const;

/** How Stripe answered a meter event: already there, worth trying again, or never going to succeed. */
export function classifyMeterEventError(error: unknown): 'duplicate' | 'retry' | 'permanent' {
  if (!(error instanceof Stripe.errors.StripeError)) return 'retry'; // not Stripe's answer: nothing is known
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    /already exists with identifier/i.test(error.message)
  ) {
    return 'duplicate';
  }
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    // A key or permission problem is the deployment's, not the batch's: retried until fixed (logged).
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  ) {
    return 'retry';
  }
  const status = error.statusCode ?? 0;
  return status === 0 || status === 409 || status === 429 || status >= 500 ? 'retry' : 'permanent';
}

function retryAfterMs(error: unknown): number {
  if (!(error instanceof Stripe.errors.StripeError)) return 0;
  const seconds = Number(error.headers?.['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : 0;
}

/**
 * Reports the overage journal to Stripe as meter events: flush (entries → batches, in the database), then
 * deliver (batches → Stripe), any number of processes at once.
 *
 * - Exactly once at Stripe: a batch's id is its event's identifier. A lost answer, a crash after the send
 *   or a claim taken over after its lease sends the same identifier again, and Stripe answers "already
 *   exists" (400, Stripe-Should-Retry: false), which is recorded as delivered. Stripe remembers
 *   identifiers for 24 hours, so a batch is never sent 23 hours after it was made (abandoned instead; the
 *   reconciliation compares totals and repairs).
 * - One call per customer and meter at a time (Stripe answers a second concurrent one 429): the claim
 *   hands out one batch per account (its oldest), never one of an account with a live lease.
 * - Nothing silently lost: a refusal that can't succeed (a 4xx other than the duplicate, 401/403 and 429)
 *   abandons the batch with the error logged, and its units stay on the ledger, where the reconciliation
 *   finds them missing at Stripe.
 *
 * Before the invoice: Stripe creates a subscription's draft invoice at the period end and finalizes it
 * about an hour later, billing the meter events timestamped inside the period that arrived by then.
 * Every event is timestamped inside its period (the last second of it when flushed late), runOnce is
 * meant to run every ~30 s (the backoff caps at 10 minutes), and `flushBeforeInvoice`, called on the
 * `invoice.created` webhook, flushes and delivers that customer's batches at once, ignoring backoff. A
 * Stripe outage longer than that hour leaves the late events out of the invoice (the reconciliation
 * still sees them in Stripe's summaries: the invoice is then short, and an operator must add the item).
 */
export function createMeterReporter(options: MeterReporterOptions) {
  const { db, billing, now, logger } = options;
  const batchSize = options.batchSize ?? 16;
  const leaseMs = options.leaseMs ?? 60_000;
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const maxPasses = options.maxPasses ?? 50;
  const overage = billing.overage ?? null;

  async function send(claim: ClaimedMeterBatch): Promise<SendOutcome> {
    // Earlier sends of this pass may have outlived the lease: send only while still holding it.
    if (!(await renewMeterBatchLease(db, claim, { leaseMs, now: now() }))) return 'lost';
    let outcome: SendOutcome = 'delivered';
    try {
      await billing.stripe.billing.meterEvents.create(
        {
          event_name: claim.eventName,
          payload: { stripe_customer_id: claim.stripeCustomerId, value: String(claim.value) },
          identifier: claim.id,
          timestamp: Math.floor(claim.eventAt.getTime() / 1_000),
        },
        options.requestOptions,
      );
    } catch (error) {
      const kind = classifyMeterEventError(error);
      if (kind !== 'duplicate') return recordFailure(claim, error, kind);
      outcome = 'duplicate';
    }
    const isRecorded = await finishMeterBatchAttempt(db, claim, { status: 'delivered', at: now() });
    if (!isRecorded) {
      // Sent, but another claim holds the batch now: its send gets "already exists", also delivered.
      logger.warn('meter batch sent after its claim was taken over; Stripe dedupes it by identifier', {
        batchId: claim.id,
        accountId: claim.accountId,
      });
    }
    return outcome;
  }

  async function recordFailure(
    claim: ClaimedMeterBatch,
    error: unknown,
    kind: 'retry' | 'permanent',
  ): Promise<SendOutcome> {
    const message = String(error instanceof Error ? error.message : error).slice(0, 1_000);
    const fields = {
      batchId: claim.id,
      accountId: claim.accountId,
      value: claim.value,
      attempts: claim.attempts,
    };
    if (kind === 'permanent') {
      logger.error('meter batch refused by Stripe, abandoned: the reconciliation will report it', {
        ...fields,
        error: message,
      });
      await finishMeterBatchAttempt(db, claim, { status: 'abandoned', error: message });
      return 'abandoned';
    }
    const delay = Math.max(
      backoff[Math.min(claim.attempts, backoff.length) - 1] ?? 60_000,
      retryAfterMs(error),
    );
    const details = { ...fields, retryInMs: delay, error: message };
    if (error instanceof Stripe.errors.StripeAuthenticationError) {
      logger.error('meter batch not delivered (Stripe refused the key), will retry', details);
    } else {
      logger.warn('meter batch not delivered, will retry', details);
    }
    await finishMeterBatchAttempt(db, claim, {
      status: 'retry',
      nextAttemptAt: new Date(now().getTime() + delay),
      error: message,
    });
    return 'retried';
  }

  async function deliverPass(
    scope: { accountId?: string; ignoreBackoff?: boolean } = {},
  ): Promise<DeliveryTally> {
    const tally = emptyTally();
    const claims = await claimDueMeterBatches(db, { now: now(), limit: batchSize, leaseMs, ...scope });
    tally.claimed = claims.length;
    // One claim per account: sending them side by side never makes two calls for one customer.
    const outcomes = await Promise.all(claims.map(send));
    for (const outcome of outcomes) {
      if (outcome === 'duplicate') tally.duplicates += 1;
      tally[outcome === 'duplicate' ? 'delivered' : outcome] += 1;
    }
    return tally;
  }

  /** The 23-hour rule, said loudly: each abandoned batch is units the reconciliation must look at. */
  async function abandonExpired(): Promise<number> {
    const abandoned = await abandonExpiredMeterBatches(db, now());
    for (const batch of abandoned) {
      logger.error('meter batch not delivered within 23 hours: abandoned, never resent', {
        batchId: batch.id,
        accountId: batch.accountId,
        periodId: batch.periodId,
        value: batch.value,
        lastError: batch.lastError,
      });
    }
    return abandoned.length;
  }

  /** Journal entries → batches (all accounts, or one). */
  async function flush(accountId?: string): Promise<FlushResult[]> {
    if (!overage) return [];
    const results = await flushOverage(db, { now: now(), eventName: overage.eventName, accountId });
    for (const result of results.filter((r) => r.outcome === 'no_customer')) {
      logger.warn('overage journaled for an account without a Stripe customer: not reported', {
        accountId: result.accountId,
        periodId: result.periodId,
        units: result.units,
      });
    }
    return results;
  }

  /** Passes until nothing is due now (a batch in backoff waits for a later call). */
  async function deliver(scope: { accountId?: string } = {}): Promise<DeliveryTally> {
    const total = emptyTally();
    if (!overage) return total;
    await abandonExpired();
    for (let pass = 0; pass < maxPasses; pass += 1) {
      const tally = await deliverPass(scope);
      addTally(total, tally);
      if (tally.claimed === 0) break;
    }
    return total;
  }

  /** One tick of the periodic job: flush everything, then deliver until nothing is due. */
  async function runOnce(): Promise<{ flushed: FlushResult[] } & DeliveryTally> {
    const flushed = await flush();
    return { flushed, ...(await deliver()) };
  }

  /**
   * Flush and deliver one account now, its batches in backoff included: what an imminent invoice needs.
   * Stops after `maxFailures` failed sends (the periodic runOnce keeps trying).
   */
  async function flushAccountNow(accountId: string, maxFailures = 3): Promise<DeliveryTally> {
    const total = emptyTally();
    if (!overage) return total;
    await flush(accountId);
    await abandonExpired();
    for (let pass = 0; pass < maxPasses && total.retried + total.lost < maxFailures; pass += 1) {
      const tally = await deliverPass({ accountId, ignoreBackoff: true });
      addTally(total, tally);
      if (tally.claimed === 0) break;
    }
    return total;
  }

  /** For the `invoice.created` webhook: the customer's overage reaches Stripe before the draft is finalized. */
  async function flushBeforeInvoice(stripeCustomerId: string): Promise<DeliveryTally | null> {
    const subscription = await findByStripeCustomerId(db, stripeCustomerId);
    if (!subscription) return null;
    return flushAccountNow(subscription.accountId);
  }

  return { flush, deliver, runOnce, flushAccountNow, flushBeforeInvoice };
}

export type MeterReporter = ReturnType<typeof createMeterReporter>;

function emptyTally(): DeliveryTally {
  return { claimed: 0, delivered: 0, duplicates: 0, retried: 0, abandoned: 0, lost: 0 };
}

function addTally(total: DeliveryTally, tally: DeliveryTally): void {
  for (const key of Object.keys(total) as (keyof DeliveryTally)[]) total[key] += tally[key];
}
