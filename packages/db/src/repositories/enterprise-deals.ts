import { and, eq } from 'drizzle-orm';
import type { Database } from '../database';
import { enterpriseDeals, type EnterpriseDealRow } from '../schema';

export type NewEnterpriseDeal = typeof enterpriseDeals.$inferInsert;

export async function insertEnterpriseDeal(db: Database, deal: NewEnterpriseDeal): Promise<void> {
  await db.insert(enterpriseDeals).values(deal);
}

export async function setEnterpriseDealSubscription(
  db: Database,
  accountId: string,
  stripePriceId: string,
  stripeSubscriptionId: string,
): Promise<void> {
  await db
    .update(enterpriseDeals)
    .set({ stripeSubscriptionId })
    .where(and(eq(enterpriseDeals.accountId, accountId), eq(enterpriseDeals.stripePriceId, stripePriceId)));
}

/** The account's deal prices: the catalog mapping reads a subscription on one of them as ENTERPRISE. */
export async function listEnterpriseDeals(db: Database, accountId: string): Promise<EnterpriseDealRow[]> {
  return db.select().from(enterpriseDeals).where(eq(enterpriseDeals.accountId, accountId));
}
