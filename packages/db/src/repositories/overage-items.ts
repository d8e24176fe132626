import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';

export interface MissingOverageItem {
  accountId: string;
  stripeSubscriptionId: string;
}

/**
 * Accounts that turned overage on whose live stored subscription isn't known to carry the metered item
 * (a new subscription after a resubscribe; every account once after migration 0014), on `plans`, after
 * `afterAccountId` in account order: a caller walks them all, so accounts that keep failing can't keep
 * the others waiting.
 */
export async function listMissingOverageItems(
  db: Database,
  options: {
    plans: readonly string[];
    liveStatuses: readonly string[];
    afterAccountId: string | null;
    limit: number;
  },
): Promise<MissingOverageItem[]> {
  if (options.plans.length === 0) return [];
  const rows = await queryRows<{ account_id: string; stripe_subscription_id: string }>(
    db,
    sql`select s.account_id, s.stripe_subscription_id
        from account_spend_settings ss join subscriptions s on s.account_id = ss.account_id
        where ss.overage_enabled and s.stripe_subscription_id is not null
          and s.overage_item_subscription_id is distinct from s.stripe_subscription_id
          and s.plan = any(${sql.param([...options.plans])}::text[])
          and s.status = any(${sql.param([...options.liveStatuses])}::text[])
          and (${options.afterAccountId}::uuid is null or s.account_id > ${options.afterAccountId}::uuid)
        order by s.account_id
        limit ${options.limit}`,
  );
  return rows.map((row) => ({ accountId: row.account_id, stripeSubscriptionId: row.stripe_subscription_id }));
}
