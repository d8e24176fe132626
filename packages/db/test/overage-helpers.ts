import { sql } from 'drizzle-orm';
import { changeSpendSettings, queryRows } from '../src';
import type { Database, SpendSettingsChange } from '../src';
import { NOW } from './reservation-helpers';

/** The catalog's decimal price per overage run (cents), as the service passes it. */
export const PRICE = '12.5';

/**
 * The account's spend settings; turning overage on also gives the account a subscription that carries
 * the metered item (as the sync records it from Stripe), without which overage is never admitted.
 */
export async function setSpend(db: Database, accountId: string, change: SpendSettingsChange) {
  if (change.overageEnabled) await giveOverageItem(db, accountId);
  return changeSpendSettings(db, accountId, change, NOW);
}

/** A stored subscription with the metered overage item on it (see overageBillable). */
export async function giveOverageItem(db: Database, accountId: string): Promise<void> {
  const subscriptionId = `sub_overage_${accountId}`;
  await db.execute(sql`
    update subscriptions set stripe_subscription_id = ${subscriptionId}, overage_item_subscription_id = ${subscriptionId}
    where account_id = ${accountId}`);
}

/**
 * The overage books of an account: what the period counts, what its runs hold (all of them, and the
 * started and settled ones), and what the journal sums to. They must agree.
 */
export async function overageBooks(db: Database, accountId: string) {
  const [row] = await queryRows<{
    counted: number | null;
    held: number | null;
    billable: number | null;
    journaled: number | null;
  }>(
    db,
    sql`select
      (select sum(overage_used) from usage_periods where account_id = ${accountId})::int as counted,
      (select sum(units_overage) from usage_ledger where account_id = ${accountId}
         and state <> 'released')::int as held,
      (select sum(units_overage) from usage_ledger where account_id = ${accountId}
         and state in ('started', 'settled'))::int as billable,
      (select sum(units) from overage_entries where account_id = ${accountId})::int as journaled`,
  );
  return {
    counted: Number(row?.counted ?? 0),
    held: Number(row?.held ?? 0),
    billable: Number(row?.billable ?? 0),
    journaled: Number(row?.journaled ?? 0),
  };
}
