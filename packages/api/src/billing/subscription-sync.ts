import {
  accountCreatedAt,
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
  type StripeSubscriptionSnapshot,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { planForPrice, type BillingSettings } from './stripe-settings';

export interface SyncResult {
  userId: string;
  /** True when the stored state changed (reconciliation counts these as corrected drift). */
  isChanged: boolean;
  /** When the account was last synced before this change (the oldest unsynced change, for reports). */
  previousSyncAt: Date | null;
}

/**
 * The one code path that writes Stripe state into Tollgate, shared by webhooks and reconciliation:
 * lock the account's row, re-fetch the subscription from Stripe, fold it in with the domain reducer.
 * Because the newest object is fetched under the lock, any delivery order and any number of
 * duplicates converge to Stripe's current state.
 */
export function createSubscriptionSync(deps: ApiDeps, settings: BillingSettings) {
  const { stripe } = settings;
  const { logger, now } = deps;

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
    const isChanged = hasChanges(row, patch);
    await updateSubscription(tx, userId, { ...patch, stripeSyncedAt: now(), updatedAt: now() });
    return { userId, isChanged, previousSyncAt: row.stripeSyncedAt };
  }

  return {
    syncInTransaction,
    sync: (subscriptionId: string, userIdHint: string | null = null) =>
      deps.db.transaction((tx) => syncInTransaction(tx, subscriptionId, userIdHint)),
  };
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
