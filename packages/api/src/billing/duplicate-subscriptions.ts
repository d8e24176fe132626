import {
  listDuplicateSubscriptionsOfAccount,
  markDuplicateCanceled,
  recordDuplicateError,
  recordDuplicateSubscription,
  type Database,
  type SubscriptionRow,
} from '@tollgate/db';
import {
  decideLiveSubscription,
  isLiveStatus,
  isTerminalStatus,
  parseStripeInvoice,
  parseStripeSubscription,
  type LiveSubscriptionDecision,
  type PlanId,
  type StripeSubscriptionSnapshot,
  type SubscriptionCandidate,
} from '@tollgate/domain';
import type Stripe from 'stripe';
import type { ApiDeps } from '../config';
import { isPlanPriceOf, planForPrice, type BillingSettings } from './stripe-settings';
import { isResourceMissing } from './stripe-errors';

/** A second live subscription recorded in a sync's transaction, to cancel at Stripe after it commits. */
export interface DuplicateCancellation {
  accountId: string;
  stripeSubscriptionId: string;
}

export interface LiveSubscriptionCheck {
  decision: LiveSubscriptionDecision;
  /** This sync found and recorded a new duplicate. */
  isRecorded: boolean;
  /** Every duplicate of the account not yet canceled at Stripe (a failed cancellation is retried). */
  cancellations: DuplicateCancellation[];
}

const NO_IDS: ReadonlySet<string> = new Set();

/** Stored subscriptions fetched from Stripe before a sync's transaction, by id (null: gone at Stripe). */
export type StoredSnapshots = ReadonlyMap<string, StripeSubscriptionSnapshot | null>;

/** The locked row names a stored subscription the sync didn't fetch: fetch it, then try again. */
export class StoredSubscriptionMoved extends Error {
  override readonly name = 'StoredSubscriptionMoved';
  constructor(readonly subscriptionId: string) {
    super(`stored subscription ${subscriptionId} must be fetched from Stripe first`);
  }
}

/**
 * One live subscription per account (two Checkout sessions both paid). No Stripe call happens inside
 * a database transaction: the sync fetches the stored subscription it may conflict with first
 * (`storedToConfirm`, `fetchStored`), `check` decides under the account's lock from that copy,
 * and whoever ran the sync calls `cancel` after the commit.
 */
export function createDuplicateSubscriptions(deps: ApiDeps, settings: BillingSettings) {
  const { db, logger, now } = deps;
  const { stripe } = settings;

  /** A deal's price (made for this account) ranks as ENTERPRISE: a new Checkout never displaces it. */
  function candidateOf(
    snapshot: StripeSubscriptionSnapshot,
    fallbackPlan: PlanId | null,
    dealPriceIds: ReadonlyMap<string, unknown>,
  ): SubscriptionCandidate {
    const { priceId } = snapshot;
    const plan =
      priceId === null ? null : dealPriceIds.has(priceId) ? 'ENTERPRISE' : planForPrice(settings, priceId);
    return { id: snapshot.id, status: snapshot.status, plan: plan ?? fallbackPlan };
  }

  /** Ids of the account's subscriptions already recorded as duplicates. */
  async function recordedIds(reader: Database, accountId: string): Promise<Set<string>> {
    const recorded = await listDuplicateSubscriptionsOfAccount(reader, accountId);
    return new Set(recorded.map((duplicate) => duplicate.canceledStripeSubscriptionId));
  }

  /**
   * Before the transaction: subscriptionToConfirm. The recorded duplicates can only rule a stored
   * subscription out, so they are read only when there is one to rule out.
   */
  async function storedToConfirm(
    reader: Database,
    row: SubscriptionRow,
    incoming: StripeSubscriptionSnapshot,
  ): Promise<string | null> {
    if (subscriptionToConfirm(row, incoming, NO_IDS) === null) return null;
    return subscriptionToConfirm(row, incoming, await recordedIds(reader, row.accountId));
  }

  /**
   * The stored subscription that must be confirmed at Stripe before `check` can decide, or null: one
   * with another id, live per the stored row, while the incoming one is live too. The row may be behind
   * Stripe (its `deleted` event not processed yet), so it is confirmed before anything gets canceled.
   */
  function subscriptionToConfirm(
    row: SubscriptionRow,
    incoming: StripeSubscriptionSnapshot,
    duplicateIds: ReadonlySet<string>,
  ): string | null {
    const storedId = row.stripeSubscriptionId;
    if (storedId === null || storedId === incoming.id) return null;
    // A stored one that is unpaid (paused, incomplete) grants nothing, yet still bills or can come back
    // when its old invoice gets paid: a paid-up newcomer cancels it too, so it is confirmed as well.
    const isConflictPossible =
      !isTerminalStatus(row.status) && isLiveStatus(incoming.status) && !duplicateIds.has(incoming.id);
    return isConflictPossible ? storedId : null;
  }

  /** Fetched before the sync's transaction opens; null when it is gone at Stripe. */
  async function fetchStored(subscriptionId: string): Promise<StripeSubscriptionSnapshot | null> {
    try {
      return parseStripeSubscription(
        await stripe.subscriptions.retrieve(subscriptionId),
        isPlanPriceOf(settings),
      );
    } catch (error) {
      // Gone at Stripe (test data cleared, say): there is nothing left to conflict with.
      if (isResourceMissing(error)) {
        return null;
      }
      throw error;
    }
  }

  /**
   * The stored subscription as a candidate: the incoming snapshot when it is the stored one, else the
   * copy fetched before the transaction (on a price Tollgate doesn't know, it counts as the plan the
   * account kept for it). Throws StoredSubscriptionMoved when the locked row names a subscription
   * nobody fetched (it changed since the sync read it): the caller fetches it and tries again.
   */
  function storedCandidate(
    row: SubscriptionRow,
    incoming: StripeSubscriptionSnapshot,
    duplicateIds: ReadonlySet<string>,
    fetched: StoredSnapshots,
    dealPriceIds: ReadonlyMap<string, unknown>,
  ): SubscriptionCandidate | null {
    if (row.stripeSubscriptionId === incoming.id) return candidateOf(incoming, row.plan, dealPriceIds);
    const id = subscriptionToConfirm(row, incoming, duplicateIds);
    if (id === null) return null;
    if (!fetched.has(id)) throw new StoredSubscriptionMoved(id);
    const snapshot = fetched.get(id) ?? null;
    return snapshot ? candidateOf(snapshot, row.plan, dealPriceIds) : null;
  }

  /** Runs inside the sync's transaction, with the account's subscription row locked: no Stripe call. */
  async function check(
    tx: Database,
    accountId: string,
    row: SubscriptionRow,
    incoming: StripeSubscriptionSnapshot,
    fetched: StoredSnapshots,
    dealPriceIds: ReadonlyMap<string, unknown>,
  ): Promise<LiveSubscriptionCheck> {
    const recorded = await listDuplicateSubscriptionsOfAccount(tx, accountId);
    const duplicateIds = new Set(recorded.map((duplicate) => duplicate.canceledStripeSubscriptionId));
    const stored = storedCandidate(row, incoming, duplicateIds, fetched, dealPriceIds);
    const decision = decideLiveSubscription({
      incoming: candidateOf(incoming, null, dealPriceIds),
      stored,
      duplicateIds,
    });
    const pending = recorded
      .filter((duplicate) => duplicate.canceledAt === null)
      .map((duplicate) => duplicate.canceledStripeSubscriptionId);
    let isRecorded = false;
    if (decision.kind !== 'apply' && !duplicateIds.has(decision.duplicate.id)) {
      const keptId = decision.kind === 'replace-stored' ? incoming.id : (stored?.id ?? null);
      if (keptId !== null) isRecorded = await record(tx, accountId, keptId, decision.duplicate);
      if (isRecorded) pending.push(decision.duplicate.id);
    }
    return {
      decision,
      isRecorded,
      cancellations: pending.map((id) => ({ accountId, stripeSubscriptionId: id })),
    };
  }

  async function record(
    tx: Database,
    accountId: string,
    keptId: string,
    duplicate: SubscriptionCandidate,
  ): Promise<boolean> {
    const isRecorded = await recordDuplicateSubscription(tx, {
      accountId,
      keptStripeSubscriptionId: keptId,
      canceledStripeSubscriptionId: duplicate.id,
      canceledPlan: duplicate.plan,
      detectedAt: now(),
    });
    if (isRecorded) {
      logger.warn('second live stripe subscription: the higher plan is kept, the other one canceled', {
        accountId,
        keptSubscriptionId: keptId,
        canceledSubscriptionId: duplicate.id,
      });
    }
    return isRecorded;
  }

  async function cancelOne({ accountId, stripeSubscriptionId: id }: DuplicateCancellation): Promise<void> {
    const subscription = await stripe.subscriptions.retrieve(id);
    // Already over (another worker, or canceled by hand): nothing to cancel, still something to refund.
    if (!isTerminalStatus(parseStripeSubscription(subscription).status)) {
      await stripe.subscriptions.cancel(id);
    }
    await voidOpenInvoices(id);
    const paid = await amountPaid(id, currentPeriodStart(subscription));
    const currency = paid.currency ?? subscription.currency;
    if (await markDuplicateCanceled(db, id, { amountOwed: paid.amount, currency, canceledAt: now() })) {
      logger.warn('duplicate stripe subscription canceled; amount owed recorded for operators', {
        accountId,
        subscriptionId: id,
        amountOwed: paid.amount,
        currency,
      });
    }
  }

  /**
   * The canceled subscription's unpaid invoices (a past_due renewal, an incomplete first payment) are
   * voided: canceling only stops their automatic collection, and the customer could still pay one
   * through its hosted page (a dunning email's link) for a subscription that no longer runs, after
   * the amount owed was recorded.
   */
  async function voidOpenInvoices(subscriptionId: string): Promise<void> {
    for await (const invoice of stripe.invoices.list({ subscription: subscriptionId, status: 'open' })) {
      await stripe.invoices.voidInvoice(
        invoice.id,
        {},
        { idempotencyKey: `tollgate-duplicate-void-${invoice.id}` },
      );
    }
  }

  /**
   * What the customer paid for the subscription's current period, the one the cancellation takes away:
   * the amount_paid of its invoices made since that period began. Earlier periods were used (a
   * subscription past_due past its grace, replaced by a new plan, paid for months it had).
   */
  async function amountPaid(
    subscriptionId: string,
    since: number,
  ): Promise<{ amount: number; currency: string | null }> {
    let amount = 0;
    let currency: string | null = null;
    for await (const raw of stripe.invoices.list({ subscription: subscriptionId, limit: 100 })) {
      if (raw.created < since) continue;
      const invoice = parseStripeInvoice(raw);
      amount += invoice.amountPaid;
      if (invoice.amountPaid > 0) currency ??= invoice.currency;
    }
    return { amount, currency };
  }

  /**
   * Cancels the duplicates at Stripe and records what the customer paid for each, for an operator to
   * refund. Never throws: a failure is kept on the row (last_error), and the account's next sync (any
   * event of its subscriptions, or reconciliation) hands the cancellation back until Stripe confirms it.
   */
  async function cancel(cancellations: readonly DuplicateCancellation[]): Promise<void> {
    for (const cancellation of cancellations) {
      try {
        await cancelOne(cancellation);
      } catch (error) {
        logger.error('duplicate stripe subscription not canceled; retried on the next sync', {
          ...cancellation,
          error: String(error),
        });
        await recordDuplicateError(db, cancellation.stripeSubscriptionId, String(error)).catch(
          (dbError: unknown) =>
            logger.error('duplicate subscription error not recorded', { error: String(dbError) }),
        );
      }
    }
  }

  return { storedToConfirm, fetchStored, check, cancel };
}

/** The start of the subscription's current period (its plan item's, as every item's since 2025-03-31). */
function currentPeriodStart(subscription: Stripe.Subscription): number {
  const starts = subscription.items.data.map((item) => item.current_period_start);
  return starts.length > 0 ? Math.min(...starts) : subscription.start_date;
}
