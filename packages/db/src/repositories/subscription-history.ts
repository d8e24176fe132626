import type { SubscriptionChange } from '@tollgate/domain';
import { and, asc, eq, sql } from 'drizzle-orm';
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
  /** When the subscription was in this state: an event's `created` for the state it carries, else the sync's clock. */
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

const HISTORY = tableRows(subscriptionHistory, 'h');

/**
 * Places a state of the subscription, as seen at `entry.at`, in its timeline (each row holds from its
 * `at` until the next row); the caller holds the account's subscription lock (the sync does), so two
 * writers never race. Returns whether a row was written.
 * - Nothing is written when the row in force at that moment already says so.
 * - A late event, older than rows already written, goes between them at its own time: what Stripe said
 *   then. (Dating today's state by a late event's time wrote a cancellation weeks early and lost the
 *   plan change in between.)
 * - The next row, when it now repeats this state, is removed: it says nothing new, and consecutive rows
 *   always differ.
 * - Rows are unique per instant: a second state seen in the same instant goes 1 ms after it.
 */
export async function recordSubscriptionChange(
  tx: Database,
  entry: SubscriptionHistoryEntry,
): Promise<boolean> {
  let prior = await rowAtOrBefore(tx, entry, entry.at);
  const isFirst = !prior && !(await rowAfter(tx, entry, entry.at));
  const stamp = isFirst ? (entry.first ?? entry) : entry;
  let at = stamp.at;
  while (prior && prior.at.getTime() >= at.getTime()) {
    if (sameState(prior, entry.state)) return false;
    at = new Date(prior.at.getTime() + 1);
    prior = (await rowAtOrBefore(tx, entry, at)) ?? prior;
  }
  if (prior && sameState(prior, entry.state)) return false;
  await tx.insert(subscriptionHistory).values({
    accountId: entry.accountId,
    stripeSubscriptionId: entry.stripeSubscriptionId,
    at,
    source: stamp.source,
    ...entry.state,
  });
  const next = await rowAfter(tx, entry, at);
  if (next && sameState(next, entry.state)) {
    await tx
      .delete(subscriptionHistory)
      .where(and(eq(subscriptionHistory.accountId, entry.accountId), eq(subscriptionHistory.id, next.id)));
  }
  return true;
}

type HistoryKey = Pick<SubscriptionHistoryEntry, 'accountId' | 'stripeSubscriptionId'>;

/**
 * The subscription's row in force at `at` (the latest at or before it). Raw and prepared: every
 * subscription webhook reads it (see tableRows).
 */
async function rowAtOrBefore(tx: Database, key: HistoryKey, at: Date) {
  const [raw] = await queryPreparedRows(
    tx,
    sql`select ${HISTORY.columns} from subscription_history h
        where h.account_id = ${key.accountId} and h.stripe_subscription_id = ${key.stripeSubscriptionId}
          and h.at <= ${at.toISOString()}::timestamptz
        order by h.at desc
        limit 1`,
  );
  return raw ? HISTORY.rowOf(raw) : null;
}

/** The subscription's first row after `at`. */
async function rowAfter(tx: Database, key: HistoryKey, at: Date) {
  const [raw] = await queryPreparedRows(
    tx,
    sql`select ${HISTORY.columns} from subscription_history h
        where h.account_id = ${key.accountId} and h.stripe_subscription_id = ${key.stripeSubscriptionId}
          and h.at > ${at.toISOString()}::timestamptz
        order by h.at
        limit 1`,
  );
  return raw ? HISTORY.rowOf(raw) : null;
}

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
