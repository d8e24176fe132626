import { FREE_FALLBACK_STATUSES, MS_PER_DAY, TRIAL_DAYS } from '@tollgate/domain';
import type { SubscriptionState } from '@tollgate/domain';
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Database } from '../database';
import { subscriptions, users } from '../schema';
import type { NewSubscriptionRow, SubscriptionRow } from '../schema';

export type SubscriptionPatch = Partial<Omit<NewSubscriptionRow, 'userId' | 'createdAt'>>;

/**
 * Idempotent and safe under concurrent first calls: the primary key on user_id lets exactly one
 * INSERT win, every other one does nothing, and all of them read the same row back.
 */
export async function ensureFreeSubscription(
  db: Database,
  userId: string,
  now: Date,
): Promise<SubscriptionRow> {
  await db
    .insert(subscriptions)
    .values({ userId, plan: 'FREE', status: 'active', createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: subscriptions.userId });
  const row = await getSubscription(db, userId);
  if (!row) throw new Error('ensureFreeSubscription: subscription row missing after insert');
  return row;
}

export async function getSubscription(db: Database, userId: string): Promise<SubscriptionRow | null> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.userId, userId)).limit(1);
  return row ?? null;
}

/** The domain state, with the FREE anniversary anchored on the account's creation (users.created_at). */
export async function getSubscriptionState(db: Database, userId: string): Promise<SubscriptionState | null> {
  const [found] = await db
    .select({ subscription: subscriptions, accountCreatedAt: users.createdAt })
    .from(subscriptions)
    .innerJoin(users, eq(users.id, subscriptions.userId))
    .where(eq(subscriptions.userId, userId))
    .limit(1);
  if (!found) return null;
  return toSubscriptionState(found.subscription, found.accountCreatedAt);
}

export async function updateSubscription(
  db: Database,
  userId: string,
  patch: SubscriptionPatch,
): Promise<SubscriptionRow | null> {
  const [row] = await db
    .update(subscriptions)
    .set({ ...patch, updatedAt: patch.updatedAt ?? new Date() })
    .where(eq(subscriptions.userId, userId))
    .returning();
  return row ?? null;
}

/**
 * Starts the once-per-account trial in ONE conditional UPDATE: the WHERE clause is the check
 * (effectively FREE and trial never used), so of any number of concurrent calls exactly one gets the
 * row back; the others get null. The new values are those of the domain's startTrialState.
 */
export async function startTrialOnce(
  db: Database,
  userId: string,
  now: Date,
  options: { trialDays?: number } = {},
): Promise<SubscriptionRow | null> {
  const trialEnd = new Date(now.getTime() + (options.trialDays ?? TRIAL_DAYS) * MS_PER_DAY);
  const [row] = await db
    .update(subscriptions)
    .set({
      plan: 'TRIAL',
      status: 'trialing',
      currentPeriodStart: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      trialStart: now,
      trialEnd,
      trialUsedAt: now,
      pastDueSince: null,
      // The old Stripe subscription grants nothing any more; forgetting it means a late event about it
      // cannot end the trial (the customer id is kept for the next checkout).
      stripeSubscriptionId: null,
      stripePriceId: null,
      updatedAt: now,
    })
    .where(and(eq(subscriptions.userId, userId), isNull(subscriptions.trialUsedAt), isEffectivelyFree(now)))
    .returning();
  return row ?? null;
}

/**
 * SQL mirror of the domain's "effective plan is FREE" (resolveEntitlement), so the trial check and the
 * write are one statement. subscriptions.test.ts cross-checks it against the domain's canStartTrial.
 */
function isEffectivelyFree(now: Date): SQL {
  const s = subscriptions;
  const at = sql`${now.toISOString()}::timestamptz`;
  // coalesce(…, false): a missing date makes a comparison NULL, and NULL must read as "not inside
  // the window" / "not ended", exactly like the domain's null checks.
  return sql`(
    ${s.plan} = 'FREE'
    or (${s.plan} = 'TRIAL' and not coalesce(
      ${s.status} in ('trialing', 'active') and ${s.trialStart} <= ${at} and ${s.trialEnd} > ${at}, false))
    or (${s.plan} not in ('FREE', 'TRIAL') and (
      ${inArray(s.status, FREE_FALLBACK_STATUSES)}
      or coalesce(${s.cancelAtPeriodEnd} and ${s.currentPeriodEnd} <= ${at}, false)
      or coalesce(${s.status} = 'trialing' and ${s.trialEnd} <= ${at}, false)))
  )`;
}

export async function findByStripeCustomerId(
  db: Database,
  customerId: string,
): Promise<SubscriptionRow | null> {
  const [row] = await db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.stripeCustomerId, customerId))
    .limit(1);
  return row ?? null;
}

export async function findByStripeSubscriptionId(
  db: Database,
  stripeSubscriptionId: string,
): Promise<SubscriptionRow | null> {
  const [row] = await db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.stripeSubscriptionId, stripeSubscriptionId))
    .limit(1);
  return row ?? null;
}

/**
 * Records the user's Stripe customer. Never replaces a different customer already linked (that would
 * orphan the old customer's subscription): returns null then. Linking the same customer again is a no-op.
 * A customer already linked to ANOTHER user raises a unique violation.
 */
export async function linkStripeCustomer(
  db: Database,
  userId: string,
  customerId: string,
  now: Date = new Date(),
): Promise<SubscriptionRow | null> {
  const [row] = await db
    .update(subscriptions)
    .set({ stripeCustomerId: customerId, updatedAt: now })
    .where(
      and(
        eq(subscriptions.userId, userId),
        or(isNull(subscriptions.stripeCustomerId), eq(subscriptions.stripeCustomerId, customerId)),
      ),
    )
    .returning();
  return row ?? null;
}

/**
 * Stripe deleted the customer (customer.deleted): the account forgets it, remembers it as deleted (a
 * late event about one of its subscriptions can't link it again) and gets a new customer at its next
 * checkout. The user id of the account it was linked to, or null.
 */
export async function unlinkStripeCustomer(
  db: Database,
  customerId: string,
  now: Date = new Date(),
): Promise<string | null> {
  const [row] = await db
    .update(subscriptions)
    .set({ stripeCustomerId: null, deletedStripeCustomerId: customerId, updatedAt: now })
    .where(eq(subscriptions.stripeCustomerId, customerId))
    .returning({ userId: subscriptions.userId });
  return row?.userId ?? null;
}

/** Row -> domain state. accountCreatedAt anchors FREE periods; the row's createdAt is the fallback. */
export function toSubscriptionState(
  row: SubscriptionRow,
  accountCreatedAt: Date = row.createdAt,
): SubscriptionState {
  return {
    // Every row is a user's own (personal) account until billing accounts reach the schema (issue 15).
    accountKind: 'personal',
    plan: row.plan,
    status: row.status,
    currentPeriodStart: row.currentPeriodStart,
    currentPeriodEnd: row.currentPeriodEnd,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    trialStart: row.trialStart,
    trialEnd: row.trialEnd,
    trialUsedAt: row.trialUsedAt,
    pastDueSince: row.pastDueSince,
    customRunLimit: row.customRunLimit,
    accountCreatedAt,
    stripeCustomerId: row.stripeCustomerId,
    stripeSubscriptionId: row.stripeSubscriptionId,
    stripePriceId: row.stripePriceId,
  };
}

/** Domain state -> the columns it owns, for updateSubscription (accountCreatedAt lives on users). */
export function toSubscriptionPatch(state: SubscriptionState): SubscriptionPatch {
  return {
    plan: state.plan,
    status: state.status,
    currentPeriodStart: state.currentPeriodStart,
    currentPeriodEnd: state.currentPeriodEnd,
    cancelAtPeriodEnd: state.cancelAtPeriodEnd,
    trialStart: state.trialStart,
    trialEnd: state.trialEnd,
    trialUsedAt: state.trialUsedAt,
    pastDueSince: state.pastDueSince,
    customRunLimit: state.customRunLimit,
    stripeCustomerId: state.stripeCustomerId,
    stripeSubscriptionId: state.stripeSubscriptionId,
    stripePriceId: state.stripePriceId,
  };
}

/** Subscription rows of many users in one query (users without one are simply absent). */
export async function getSubscriptionsByUserIds(
  db: Database,
  userIds: readonly string[],
): Promise<Map<string, SubscriptionRow>> {
  const distinct = [...new Set(userIds)];
  if (distinct.length === 0) return new Map();
  const rows = await db.select().from(subscriptions).where(inArray(subscriptions.userId, distinct));
  return new Map(rows.map((row) => [row.userId, row]));
}
