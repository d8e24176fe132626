import { eq, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryPreparedRows } from '../raw-query';
import { tableRows } from '../table-rows';
import { dateOfRow } from '../row-date';
import { accounts, SUBSCRIPTION_SYNC_TICKETS_SEQUENCE, subscriptions, users } from '../schema';
import type { AccountKind, SubscriptionRow } from '../schema';

/** A sync's first step: its ticket, and the row already linked to the subscription (null: none yet). */
export interface StartedSync {
  /**
   * Taken (outside any transaction) before the sync fetches the subscription from Stripe. Sequence
   * values are never handed out twice and grow in the order they were taken.
   */
  ticket: number;
  linked: SubscriptionRow | null;
  /** Whether the webhook event named by the call is stored already (a duplicate delivery). */
  isEventRecorded: boolean;
}

/**
 * A new sync ticket and the row linked to the Stripe subscription, in one round trip (every webhook's
 * sync starts with both), and for a webhook whether its event is stored already (eventId; null: none
 * to check), which it asked on its own before. The sequence is read exactly once, whether or not a
 * row matches: the left join keeps the single row of `one`. A duplicate's ticket is simply unused.
 */
export async function startSubscriptionSync(
  db: Database,
  stripeSubscriptionId: string,
  eventId: string | null = null,
): Promise<StartedSync> {
  const [found] = await queryPreparedRows<StartRow>(
    db,
    sql`select nextval(${SUBSCRIPTION_SYNC_TICKETS_SEQUENCE}::regclass) as sync_ticket_taken,
          exists (select 1 from stripe_events e where e.id = ${eventId}) as is_event_recorded,
          ${SUBSCRIPTION.columns}
        from (values (1)) as one (x)
        left join subscriptions s on s.stripe_subscription_id = ${stripeSubscriptionId}
        limit 1`,
  );
  if (!found) throw new Error('startSubscriptionSync: the sequence returned no value');
  return {
    ticket: Number(found.sync_ticket_taken),
    linked: found.account_id === null ? null : SUBSCRIPTION.rowOf(found),
    isEventRecorded: found.is_event_recorded === true,
  };
}

/** Subscription rows read on every webhook: raw statements over this column list (see tableRows). */
const SUBSCRIPTION = tableRows(subscriptions, 's');

interface StartRow extends Record<string, unknown> {
  sync_ticket_taken: string | number;
  is_event_recorded: boolean;
  account_id: string | null;
}

/**
 * Locks the account's subscription row until the surrounding transaction ends (SELECT … FOR UPDATE).
 * Stripe syncs fetch first (no network call under the lock), then take it and write only a snapshot
 * whose sync ticket is not older than the stored one, so concurrent syncs converge on the newest fetch.
 */
export async function lockSubscriptionRow(
  tx: Database,
  accountId: string,
): Promise<LockedSubscription | null> {
  // One statement: the account row comes along (a subscription row always has one: foreign key), and
  // only the subscription row is locked. The account's columns are aliased: a raw row has one value per
  // name, and the subscription has a created_at of its own.
  const [found] = await queryPreparedRows<LockedRow>(
    tx,
    sql`select ${SUBSCRIPTION.columns}, a.created_at as account_created_at, a.kind as account_kind,
          a.name as account_name
        from subscriptions s join accounts a on a.id = s.account_id
        where s.account_id = ${accountId}
        for update of s`,
  );
  if (!found) return null;
  return {
    row: SUBSCRIPTION.rowOf(found),
    basics: {
      createdAt: dateOfRow(found.account_created_at),
      kind: found.account_kind,
      name: found.account_name,
    },
  };
}

interface LockedRow extends Record<string, unknown> {
  account_created_at: Date | string;
  account_kind: AccountKind;
  account_name: string | null;
}

/** What the account row adds to its subscription's state: its creation (the FREE anchor) and kind. */
export interface AccountBasics {
  createdAt: Date;
  kind: AccountKind;
  name: string | null;
}

/** A subscription row locked by lockSubscriptionRow, with its account's basics. */
export interface LockedSubscription {
  row: SubscriptionRow;
  basics: AccountBasics;
}

export async function accountBasics(db: Database, accountId: string): Promise<AccountBasics | null> {
  const [row] = await db
    .select({ createdAt: accounts.createdAt, kind: accounts.kind, name: accounts.name })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return row ?? null;
}

/** Every account linked to a Stripe customer, for reconciliation. */
export async function listStripeLinkedSubscriptions(db: Database): Promise<SubscriptionRow[]> {
  return db.select().from(subscriptions).where(isNotNull(subscriptions.stripeCustomerId));
}

/** Accounts whose Stripe subscription uses a price Tollgate doesn't sell (for admins to act on). */
export async function listSubscriptionsWithUnknownPrice(db: Database) {
  return db
    .select({
      accountId: subscriptions.accountId,
      /** The account's creator (on a personal account, its user). */
      userId: accounts.createdByUserId,
      email: users.email,
      plan: subscriptions.plan,
      status: subscriptions.status,
      stripeSubscriptionId: subscriptions.stripeSubscriptionId,
      unknownStripePriceId: subscriptions.unknownStripePriceId,
      stripeSyncedAt: subscriptions.stripeSyncedAt,
    })
    .from(subscriptions)
    .innerJoin(accounts, eq(accounts.id, subscriptions.accountId))
    .innerJoin(users, eq(users.id, accounts.createdByUserId))
    .where(isNotNull(subscriptions.unknownStripePriceId));
}
