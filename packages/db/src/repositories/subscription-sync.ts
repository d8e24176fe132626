import { eq, isNotNull } from 'drizzle-orm';
import type { Database } from '../database';
import { subscriptions, users } from '../schema';
import type { SubscriptionRow } from '../schema';

/**
 * Locks the account's subscription row until the surrounding transaction ends (SELECT … FOR UPDATE).
 * Stripe syncs take it before re-fetching the subscription, so concurrent webhooks for one account
 * write in the order they fetched: the newest Stripe object always lands last.
 */
export async function lockSubscriptionRow(tx: Database, userId: string): Promise<SubscriptionRow | null> {
  const [row] = await tx.select().from(subscriptions).where(eq(subscriptions.userId, userId)).for('update');
  return row ?? null;
}

/** The account's creation time, which anchors FREE periods. */
export async function accountCreatedAt(db: Database, userId: string): Promise<Date | null> {
  const [row] = await db.select({ createdAt: users.createdAt }).from(users).where(eq(users.id, userId));
  return row?.createdAt ?? null;
}

/** Every account linked to a Stripe customer, for reconciliation. */
export async function listStripeLinkedSubscriptions(db: Database): Promise<SubscriptionRow[]> {
  return db.select().from(subscriptions).where(isNotNull(subscriptions.stripeCustomerId));
}

/** Accounts whose Stripe subscription uses a price Tollgate doesn't sell (for admins to act on). */
export async function listSubscriptionsWithUnknownPrice(db: Database) {
  return db
    .select({
      userId: subscriptions.userId,
      email: users.email,
      plan: subscriptions.plan,
      status: subscriptions.status,
      stripeSubscriptionId: subscriptions.stripeSubscriptionId,
      unknownStripePriceId: subscriptions.unknownStripePriceId,
      stripeSyncedAt: subscriptions.stripeSyncedAt,
    })
    .from(subscriptions)
    .innerJoin(users, eq(users.id, subscriptions.userId))
    .where(isNotNull(subscriptions.unknownStripePriceId));
}
