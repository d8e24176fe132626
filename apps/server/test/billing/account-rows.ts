import { autoTopUps, personalAccountId, subscriptions, type Database } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type { Customer } from './scenarios';

/** A customer's auto top-up purchases, as stored. */
export async function purchasesOf(db: Database, customer: Customer) {
  return db
    .select()
    .from(autoTopUps)
    .where(eq(autoTopUps.accountId, personalAccountId(customer.userId)));
}

/** The Stripe customer linked to a customer's personal account (Checkout made it). */
export async function customerIdOf(db: Database, customer: Customer): Promise<string> {
  const [row] = await db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.accountId, personalAccountId(customer.userId)));
  if (!row?.stripeCustomerId) throw new Error('no Stripe customer');
  return row.stripeCustomerId;
}
