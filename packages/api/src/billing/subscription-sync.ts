import {
  accountCreatedAt,
  applyPeriodLimit,
  ensureFreeSubscription,
  ensureUser,
  findByStripeCustomerId,
  findByStripeSubscriptionId,
  lockSubscriptionRow,
  toSubscriptionPatch,
  toSubscriptionState,
  updateSubscription,
  type Database,
} from '@tollgate/db';
import {
  applyStripeSubscription,
  parseStripeSubscription,
  resolveEntitlement,
  type StripeSubscriptionSnapshot,
  type SubscriptionState,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { createDuplicateSubscriptions, type DuplicateCancellation } from './duplicate-subscriptions';
import { planForPrice, type BillingSettings } from './stripe-settings';

export interface SyncResult {
  userId: string;
  /** True when the stored state changed (reconciliation counts these as corrected drift). */
  isChanged: boolean;
  /** When the account was last synced before this change (the oldest unsynced change, for reports). */
  previousSyncAt: Date | null;
  /** Duplicates to cancel at Stripe once the transaction committed (cancelDuplicates). */
  cancellations: DuplicateCancellation[];
}

/**
 * The one code path that writes Stripe state into Tollgate, shared by webhooks and reconciliation:
 * lock the account's row, re-fetch the subscription from Stripe, fold it in with the domain reducer.
 * Because the newest object is fetched under the lock, any delivery order and any number of
 * duplicates converge to Stripe's current state.
 *
 * One live subscription per account: a second one (two Checkout sessions both paid) is decided by the
 * domain's decideLiveSubscription, recorded in the same transaction, and returned as a cancellation for
 * the caller to perform after commit (`sync` does; the webhook handler calls cancelDuplicates).
 */
export function createSubscriptionSync(deps: ApiDeps, settings: BillingSettings) {
  const { stripe } = settings;
  const { logger, now } = deps;
  const duplicates = createDuplicateSubscriptions(deps, settings);

  async function fetchSnapshot(subscriptionId: string): Promise<StripeSubscriptionSnapshot> {
    return parseStripeSubscription(await stripe.subscriptions.retrieve(subscriptionId));
  }

  /** Maps a Stripe subscription to its Tollgate user, never by guesswork. */
  async function resolveUserId(
    tx: Database,
    subscriptionId: string,
    userIdHint: string | null,
  ): Promise<string | null> {
    const linked = await findByStripeSubscriptionId(tx, subscriptionId);
    if (linked) return linked.userId;
    if (userIdHint) return userIdHint;
    const snapshot = await fetchSnapshot(subscriptionId);
    if (snapshot.metadataUserId) return snapshot.metadataUserId;
    const byCustomer = await findByStripeCustomerId(tx, snapshot.customerId);
    if (byCustomer) return byCustomer.userId;
    const customer = await stripe.customers.retrieve(snapshot.customerId);
    return 'deleted' in customer && customer.deleted ? null : (customer.metadata?.userId ?? null);
  }

  /** First contact from Stripe for a user Tollgate hasn't seen yet (a host-platform account). */
  async function createAndLock(tx: Database, userId: string) {
    await ensureUser(tx, userId);
    await ensureFreeSubscription(tx, userId, now());
    const row = await lockSubscriptionRow(tx, userId);
    if (!row) throw new Error(`subscription row for ${userId} vanished`);
    return row;
  }

  /** Must run inside a transaction (the caller's, so a webhook's event row commits with the effect). */
  async function syncInTransaction(
    tx: Database,
    subscriptionId: string,
    userIdHint: string | null = null,
  ): Promise<SyncResult | null> {
    const userId = await resolveUserId(tx, subscriptionId, userIdHint);
    if (!userId) {
      logger.warn('stripe subscription belongs to no Tollgate user; ignored', { subscriptionId });
      return null;
    }
    const row = (await lockSubscriptionRow(tx, userId)) ?? (await createAndLock(tx, userId));

    const snapshot = await fetchSnapshot(subscriptionId);
    const state = toSubscriptionState(row, (await accountCreatedAt(tx, userId)) ?? row.createdAt);
    const { decision, isRecorded, cancellations } = await duplicates.check(tx, userId, row, snapshot);
    if (decision.kind === 'keep-stored') {
      // The incoming subscription is the duplicate: it must not touch the account (nor its period).
      return { userId, isChanged: isRecorded, previousSyncAt: row.stripeSyncedAt, cancellations };
    }
    const next = applyStripeSubscription(
      state,
      snapshot,
      (priceId) => planForPrice(settings, priceId),
      now(),
    );
    const isUnknownPrice = snapshot.priceId !== null && planForPrice(settings, snapshot.priceId) === null;
    if (isUnknownPrice) {
      logger.warn('stripe subscription uses a price Tollgate does not know; plan kept', {
        userId,
        subscriptionId,
        priceId: snapshot.priceId,
      });
    }
    const patch = {
      ...toSubscriptionPatch(next),
      unknownStripePriceId: isUnknownPrice ? snapshot.priceId : null,
    };
    const isChanged = isRecorded || hasChanges(row, patch);
    await updateSubscription(tx, userId, { ...patch, stripeSyncedAt: now(), updatedAt: now() });
    // Last, after the Stripe calls: the period row's lock is held only until this transaction commits.
    await writePeriodLimit(tx, userId, state, next);
    return { userId, isChanged, previousSyncAt: row.stripeSyncedAt, cancellations };
  }

  /** The new plan's limit, where admission reads it (see applyPeriodLimit). */
  async function writePeriodLimit(
    tx: Database,
    userId: string,
    before: SubscriptionState,
    after: SubscriptionState,
  ): Promise<void> {
    const at = now();
    const options = { graceDays: deps.config.paymentGraceDays };
    const previous = resolveEntitlement(before, at, options);
    const current = resolveEntitlement(after, at, options);
    if (previous.limit === current.limit && samePeriod(previous.period, current.period)) return;
    await applyPeriodLimit(tx, {
      userId,
      period: current.period,
      limit: current.limit,
      // A paid or trial period that is left never comes back (a new subscription has a new period), so
      // it is closed; a FREE anniversary period may (after a trial, say) and keeps its limit.
      previousPeriodStart: previous.plan === 'FREE' ? null : previous.period.start,
    });
  }

  /** A sync in its own transaction, then the duplicates it returned are canceled (after commit). */
  async function sync(subscriptionId: string, userIdHint: string | null = null): Promise<SyncResult | null> {
    const result = await deps.db.transaction((tx) => syncInTransaction(tx, subscriptionId, userIdHint));
    if (result) await duplicates.cancel(result.cancellations);
    return result;
  }

  return { syncInTransaction, sync, cancelDuplicates: duplicates.cancel };
}

function samePeriod(a: { start: Date; end: Date }, b: { start: Date; end: Date }): boolean {
  return a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime();
}

function hasChanges(row: Record<string, unknown>, patch: Record<string, unknown>): boolean {
  return Object.entries(patch).some(([key, value]) => {
    const current = row[key];
    if (current instanceof Date || value instanceof Date) {
      return (current as Date | null)?.getTime() !== (value as Date | null)?.getTime();
    }
    return current !== value;
  });
}

export type SubscriptionSync = ReturnType<typeof createSubscriptionSync>;
