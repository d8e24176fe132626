import type { SubscriptionChange } from '@tollgate/domain';
import { asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryPreparedRows } from '../raw-query';
import { tableRows } from '../table-rows';
import { subscriptionHistory, type SubscriptionHistorySource } from '../schema';

/** What a history row says about a subscription (the fields revenue analytics reads). */
export type SubscriptionHistoryState = Pick<
  SubscriptionChange,
  'status' | 'plan' | 'priceCents' | 'interval' | 'quantity' | 'discountCents'
>;

export interface SubscriptionHistoryEntry {
  accountId: string;
  stripeSubscriptionId: string;
  /** Stripe's time of the change (the event's `created`), or the sync's own clock without an event. */
  at: Date;
  source: SubscriptionHistorySource;
  /** How the subscription's first row is stamped, when it has no history yet (default: at, source). */
  first?: { at: Date; source: SubscriptionHistorySource };
  state: SubscriptionHistoryState;
}

function sameState(a: SubscriptionHistoryState, b: SubscriptionHistoryState): boolean {
  return (
    a.status === b.status &&
    a.plan === b.plan &&
    a.priceCents === b.priceCents &&
    a.interval === b.interval &&
    a.quantity === b.quantity &&
    a.discountCents === b.discountCents
  );
}

/**
 * Appends a row when the subscription's state differs from its latest row; the caller holds the
 * account's subscription lock (the sync does), so two writers never race. A change stamped no later
 * than the latest row (a late event carrying a newer fetch) is placed 1 ms after it: rows keep the
 * order they were applied in. Returns whether a row was written.
 */
export async function recordSubscriptionChange(
  tx: Database,
  entry: SubscriptionHistoryEntry,
): Promise<boolean> {
  // Raw and prepared: every subscription webhook reads it (see tableRows).
  const [raw] = await queryPreparedRows(
    tx,
    sql`select ${HISTORY.columns} from subscription_history h
        where h.account_id = ${entry.accountId} and h.stripe_subscription_id = ${entry.stripeSubscriptionId}
        order by h.at desc
        limit 1`,
  );
  const latest = raw && HISTORY.rowOf(raw);
  if (latest && sameState(latest, entry.state)) return false;
  const stamp = latest ? entry : (entry.first ?? entry);
  const at =
    latest && latest.at.getTime() >= stamp.at.getTime() ? new Date(latest.at.getTime() + 1) : stamp.at;
  await tx.insert(subscriptionHistory).values({
    accountId: entry.accountId,
    stripeSubscriptionId: entry.stripeSubscriptionId,
    at,
    source: stamp.source,
    ...entry.state,
  });
  return true;
}

const HISTORY = tableRows(subscriptionHistory, 'h');

/** The whole history as the analytics module takes it; one account's when `accountId` is given. */
export async function listSubscriptionHistory(
  db: Database,
  accountId?: string,
): Promise<SubscriptionChange[]> {
  const rows = await db
    .select()
    .from(subscriptionHistory)
    .where(accountId === undefined ? undefined : eq(subscriptionHistory.accountId, accountId))
    .orderBy(asc(subscriptionHistory.at), asc(subscriptionHistory.id));
  return rows.map((row) => ({
    accountId: row.accountId,
    subscriptionId: row.stripeSubscriptionId,
    at: row.at,
    status: row.status,
    plan: row.plan,
    priceCents: row.priceCents,
    interval: row.interval,
    quantity: row.quantity,
    discountCents: row.discountCents,
  }));
}
