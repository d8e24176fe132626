import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';

/** What the seat sync compares: the committed member count and what Stripe last confirmed. */
export interface SeatState {
  accountId: string;
  membershipVersion: number;
  /** Seats: every member of the team account, owners included (pending invitations are not seats). */
  members: number;
  stripeSubscriptionId: string | null;
  stripeQuantity: number | null;
  plan: string;
}

const seatStateSelect = sql`
  select a.id as account_id, a.membership_version,
    (select count(*)::int from account_memberships m where m.account_id = a.id) as members,
    s.stripe_subscription_id, s.stripe_quantity, s.plan
  from accounts a join subscriptions s on s.account_id = a.id`;

interface SeatRow extends Record<string, unknown> {
  account_id: string;
  membership_version: string | number;
  members: number;
  stripe_subscription_id: string | null;
  stripe_quantity: number | null;
  plan: string;
}

function toSeatState(row: SeatRow): SeatState {
  return {
    accountId: row.account_id,
    membershipVersion: Number(row.membership_version),
    members: Number(row.members),
    stripeSubscriptionId: row.stripe_subscription_id,
    stripeQuantity: row.stripe_quantity === null ? null : Number(row.stripe_quantity),
    plan: row.plan,
  };
}

/** One account's seat state, read in one statement (so count and version belong together). */
export async function getSeatState(db: Database, accountId: string): Promise<SeatState | null> {
  const [row] = await queryRows<SeatRow>(db, sql`${seatStateSelect} where a.id = ${accountId}`);
  return row ? toSeatState(row) : null;
}

/**
 * Team accounts on a Stripe subscription whose confirmed quantity differs from their member count, in
 * account order after `afterAccountId`: a pass walks them all, so accounts that keep failing can't
 * keep the ones after them waiting.
 */
export async function listSeatDrift(
  db: Database,
  plans: readonly string[],
  limit = 100,
  afterAccountId: string | null = null,
): Promise<SeatState[]> {
  if (plans.length === 0) return [];
  const rows = await queryRows<SeatRow>(
    db,
    sql`select * from (${seatStateSelect}
          where a.kind = 'team' and s.stripe_subscription_id is not null
            and s.plan = any(${sql.param([...plans])}::text[])
            and (${afterAccountId}::uuid is null or a.id > ${afterAccountId}::uuid)) seats
        where stripe_quantity is distinct from members
        order by account_id limit ${limit}`,
  );
  return rows.map(toSeatState);
}

export async function recordSeatSyncError(
  db: Database,
  accountId: string,
  error: string | null,
): Promise<void> {
  // Writes nothing when it is already so (an in-sync account is checked after every change).
  await db.execute(sql`
    update accounts set seat_sync_error = ${error}
    where id = ${accountId} and seat_sync_error is distinct from ${error}`);
}
