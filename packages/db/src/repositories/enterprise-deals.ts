import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { isLeaseOver, leaseEndsAfter } from '../lease-clock';
import { changeAccountOverrides, getAccountOverrides } from './account-overrides';
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
 * The end of a claim taken now for `claimMs`, on PostgreSQL's clock like every lease (see lease-clock):
 * replicas whose clocks differ agree on whether a claim is live. Cut to the millisecond, so the JS Date
 * the claim returns names it exactly for its release (timestamptz keeps microseconds, a Date doesn't).
 */
const claimEndsAfter = (claimMs: number) => sql`date_trunc('milliseconds', ${leaseEndsAfter(claimMs)})`;

/**
 * Claims the making of a deal for the account for `claimMs`: the claim's end, which names it for
 * releaseDealMaking, or null while another claim is live (its maker still at work, or crashed less than
 * the claim's length ago). The account's subscription row must exist (ensureFreeSubscription).
 */
export async function claimDealMaking(
  db: Database,
  accountId: string,
  claimMs: number,
): Promise<Date | null> {
  const [claimed] = await db
    .update(subscriptions)
    .set({ enterpriseDealClaimedUntil: claimEndsAfter(claimMs) })
    .where(and(eq(subscriptions.accountId, accountId), isLeaseOver(subscriptions.enterpriseDealClaimedUntil)))
    .returning({ until: subscriptions.enterpriseDealClaimedUntil });
  return claimed?.until ?? null;
}

/**
 * Ends this claim (named by the end claimDealMaking returned), not a later one another maker took
 * after this one's end passed.
 */
export async function releaseDealMaking(db: Database, accountId: string, claimedUntil: Date): Promise<void> {
  await db
    .update(subscriptions)
    .set({ enterpriseDealClaimedUntil: null })
    .where(
      and(eq(subscriptions.accountId, accountId), eq(subscriptions.enterpriseDealClaimedUntil, claimedUntil)),
    );
}

/**
 * A deal that took effect later than it was made (its subscription was incomplete, then its invoice was
 * paid): the run limit override the account had is cleared now, as it is for a deal live when made, or
 * it would stay on top of the deal's limit. Audited by the system; nothing when there is none.
 */
export async function clearOverrideForDealInEffect(
  tx: Database,
  accountId: string,
  stripePriceId: string,
  at: Date,
): Promise<void> {
  const overrides = await getAccountOverrides(tx, accountId);
  if (overrides?.runLimit == null) return;
  await changeAccountOverrides(tx, {
    accountId,
    change: { runLimit: null },
    audit: {
      actorUserId: 'system',
      actorRole: 'cli',
      action: 'enterprise_deal_in_effect',
      reason: `the ENTERPRISE deal on ${stripePriceId} took effect (its subscription is live)`,
      requestId: null,
      at,
    },
    auditDetail: { deal: { stripePriceId } },
  });
}
