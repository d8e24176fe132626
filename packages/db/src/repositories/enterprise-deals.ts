import { and, eq, isNull, lte, or } from 'drizzle-orm';
import type { Database } from '../database';
import { enterpriseDeals, subscriptions, type EnterpriseDealRow } from '../schema';

export type NewEnterpriseDeal = typeof enterpriseDeals.$inferInsert;

/**
 * Records a deal, or returns the one already recorded on its price: a retry that Stripe answered with
 * the same price (same idempotency key) finds its first attempt's deal, for the caller to compare.
 */
export async function insertEnterpriseDeal(
  db: Database,
  deal: NewEnterpriseDeal,
): Promise<EnterpriseDealRow> {
  const [inserted] = await db.insert(enterpriseDeals).values(deal).onConflictDoNothing().returning();
  if (inserted) return inserted;
  const [stored] = await db
    .select()
    .from(enterpriseDeals)
    .where(
      and(
        eq(enterpriseDeals.accountId, deal.accountId),
        eq(enterpriseDeals.stripePriceId, deal.stripePriceId),
      ),
    );
  if (!stored) throw new Error(`enterprise deal on ${deal.stripePriceId} neither inserted nor found`);
  return stored;
}

/**
 * Names the deal's subscription, once: true when this call did (a retry of a deal already recorded
 * changes nothing and gets false).
 */
export async function setEnterpriseDealSubscription(
  db: Database,
  accountId: string,
  stripePriceId: string,
  stripeSubscriptionId: string,
): Promise<boolean> {
  const rows = await db
    .update(enterpriseDeals)
    .set({ stripeSubscriptionId })
    .where(
      and(
        eq(enterpriseDeals.accountId, accountId),
        eq(enterpriseDeals.stripePriceId, stripePriceId),
        isNull(enterpriseDeals.stripeSubscriptionId),
      ),
    )
    .returning({ accountId: enterpriseDeals.accountId });
  return rows.length > 0;
}

/** The account's deal prices: the catalog mapping reads a subscription on one of them as ENTERPRISE. */
export async function listEnterpriseDeals(db: Database, accountId: string): Promise<EnterpriseDealRow[]> {
  return db.select().from(enterpriseDeals).where(eq(enterpriseDeals.accountId, accountId));
}

/**
 * Claims the making of a deal for the account until `until`: false while another claim is live (its
 * maker still at work, or crashed less than the claim's length ago). The account's subscription row
 * must exist (ensureFreeSubscription).
 */
export async function claimDealMaking(
  db: Database,
  accountId: string,
  now: Date,
  until: Date,
): Promise<boolean> {
  const rows = await db
    .update(subscriptions)
    .set({ enterpriseDealClaimedUntil: until })
    .where(
      and(
        eq(subscriptions.accountId, accountId),
        or(
          isNull(subscriptions.enterpriseDealClaimedUntil),
          lte(subscriptions.enterpriseDealClaimedUntil, now),
        ),
      ),
    )
    .returning({ accountId: subscriptions.accountId });
  return rows.length > 0;
}

/** Ends this claim (named by its `until`), not a later one taken after it expired. */
export async function releaseDealMaking(db: Database, accountId: string, until: Date): Promise<void> {
  await db
    .update(subscriptions)
    .set({ enterpriseDealClaimedUntil: null })
    .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.enterpriseDealClaimedUntil, until)));
}
