import { FREE_FALLBACK_STATUSES, MS_PER_DAY, TRIAL_DAYS } from '@tollgate/domain';
import type { AccountKind, CheckoutPlanId, SubscriptionState } from '@tollgate/domain';
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { dateOfRow } from '../row-date';
import { accountOverrides, accounts, subscriptions, users } from '../schema';
import type { NewSubscriptionRow, SubscriptionRow } from '../schema';
import { changeAccountOverrides, getAccountOverrides, toAccountOverrides } from './account-overrides';

export type SubscriptionPatch = Partial<Omit<NewSubscriptionRow, 'accountId' | 'createdAt'>>;

/**
 * Idempotent and safe under concurrent first calls: the primary key on account_id lets exactly one
 * INSERT win, every other one does nothing, and all of them read the same row back.
 */
export async function ensureFreeSubscription(
  db: Database,
  accountId: string,
  now: Date,
): Promise<SubscriptionRow> {
  await db
    .insert(subscriptions)
    .values({ accountId, plan: 'FREE', status: 'active', createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: subscriptions.accountId });
  const row = await getSubscription(db, accountId);
  if (!row) throw new Error('ensureFreeSubscription: subscription row missing after insert');
  return row;
}

export async function getSubscription(db: Database, accountId: string): Promise<SubscriptionRow | null> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.accountId, accountId)).limit(1);
  return row ?? null;
}

/** The domain state, with the FREE anniversary anchored on the account's creation (accounts.created_at). */
export async function getSubscriptionState(
  db: Database,
  accountId: string,
): Promise<SubscriptionState | null> {
  const [found] = await db
    .select({
      subscription: subscriptions,
      account: { createdAt: accounts.createdAt, kind: accounts.kind },
      overrides: accountOverrides,
    })
    .from(subscriptions)
    .innerJoin(accounts, eq(accounts.id, subscriptions.accountId))
    .leftJoin(accountOverrides, eq(accountOverrides.accountId, subscriptions.accountId))
    .where(eq(subscriptions.accountId, accountId))
    .limit(1);
  if (!found) return null;
  // An operator's overrides ride along (absent when there are none): every entitlement computed from
  // this state applies them.
  const state = toSubscriptionState(found.subscription, found.account);
  const overrides = toAccountOverrides(found.overrides);
  return overrides ? { ...state, overrides } : state;
}

/**
 * Writes the patch's fields (and updatedAt) on the account's row; false when the account has none. The
 * row is not read back: the sync writes one per webhook, and never reads it.
 */
export async function updateSubscription(
  db: Database,
  accountId: string,
  patch: SubscriptionPatch,
): Promise<boolean> {
  const updated = await db
    .update(subscriptions)
    .set({ ...patch, updatedAt: patch.updatedAt ?? new Date() })
    .where(eq(subscriptions.accountId, accountId))
    .returning({ accountId: subscriptions.accountId });
  return updated.length > 0;
}

/**
 * Starts the account's trial. The trial is once per person: refused when the user starting it, or any
 * owner of the account, has started one before (on any account), so a new team account can't buy a
 * second trial. In one transaction: those users' rows are locked (in id order), checked, then ONE
 * conditional UPDATE of the subscription (effectively FREE and its trial never used) decides; of any
 * number of concurrent calls exactly one gets the row back, the others null. The new values are those
 * of the domain's startTrialState. A trial window staff had set is cleared in the same transaction.
 */
export async function startTrialOnce(
  db: Database,
  who: { accountId: string; userId: string },
  now: Date,
  options: {
    trialDays?: number;
    /** Runs in the trial's transaction (its notice commits with it). */
    onStarted?: (tx: Database, row: SubscriptionRow) => Promise<void>;
  } = {},
): Promise<SubscriptionRow | null> {
  const trialEnd = new Date(now.getTime() + (options.trialDays ?? TRIAL_DAYS) * MS_PER_DAY);
  return db.transaction(async (tx) => {
    const people = await queryRows<{ id: string; trial_used_at: Date | string | null }>(
      tx,
      sql`select u.id, u.trial_used_at from users u
          where u.id = ${who.userId}
            or u.id in (select m.user_id from account_memberships m
                        where m.account_id = ${who.accountId} and m.role = 'owner')
          order by u.id
          for update of u`,
    );
    if (people.some((person) => person.trial_used_at !== null)) return null;
    const [row] = await tx
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
      .where(
        and(
          eq(subscriptions.accountId, who.accountId),
          isNull(subscriptions.trialUsedAt),
          isEffectivelyFree(now),
        ),
      )
      .returning();
    if (!row) return null;
    await tx
      .update(users)
      .set({ trialUsedAt: now })
      .where(
        inArray(
          users.id,
          people.map((person) => person.id),
        ),
      );
    await clearStaffTrialWindow(tx, who.accountId, now);
    await options.onStarted?.(tx, row);
    return row;
  });
}

/**
 * The account's own trial replaces a trial window staff had set (ended, or the trial couldn't start):
 * the window is cleared, audited by the system, so neither it nor an extension computed from it
 * (admin.setTrial starts from the window in force) takes the place of the trial just started.
 */
async function clearStaffTrialWindow(tx: Database, accountId: string, now: Date): Promise<void> {
  const overrides = await getAccountOverrides(tx, accountId);
  if (overrides?.trialStart == null && overrides?.trialEnd == null) return;
  await changeAccountOverrides(tx, {
    accountId,
    change: { trial: null },
    audit: {
      actorUserId: 'system',
      actorRole: 'cli',
      action: 'own_trial_started',
      reason: 'the account started its own trial: it replaces the trial window staff had set',
      requestId: null,
      at: now,
    },
  });
}

/** Whether the user, or any owner of the account, has started a trial before (see startTrialOnce). */
export async function hasUsedTrial(
  db: Database,
  who: { accountId: string; userId: string },
): Promise<boolean> {
  const [row] = await queryRows<{ used: boolean }>(
    db,
    sql`select exists (
          select 1 from users u
          where u.trial_used_at is not null
            and (u.id = ${who.userId}
              or u.id in (select m.user_id from account_memberships m
                          where m.account_id = ${who.accountId} and m.role = 'owner'))
        ) as used`,
  );
  return row?.used === true;
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
 * Records the account's Stripe customer. Never replaces a different customer already linked (that would
 * orphan the old customer's subscription): returns null then. Linking the same customer again is a no-op.
 * A customer already linked to ANOTHER account raises a unique violation.
 */
export async function linkStripeCustomer(
  db: Database,
  accountId: string,
  customerId: string,
  now: Date = new Date(),
): Promise<SubscriptionRow | null> {
  const [row] = await db
    .update(subscriptions)
    .set({ stripeCustomerId: customerId, updatedAt: now })
    .where(
      and(
        eq(subscriptions.accountId, accountId),
        or(isNull(subscriptions.stripeCustomerId), eq(subscriptions.stripeCustomerId, customerId)),
      ),
    )
    .returning();
  return row ?? null;
}

/**
 * Stripe deleted the customer (customer.deleted): the account forgets it, remembers it as deleted (a
 * late event about one of its subscriptions can't link it again) and gets a new customer at its next
 * checkout. The id of the account it was linked to, or null.
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
    .returning({ accountId: subscriptions.accountId });
  return row?.accountId ?? null;
}

/**
 * Row -> domain state, with what the account row adds: its creation (anchors FREE periods; the row's
 * createdAt is the fallback) and its kind (a team account has no FREE runs).
 */
export function toSubscriptionState(
  row: SubscriptionRow,
  account: { createdAt: Date; kind: AccountKind } = { createdAt: row.createdAt, kind: 'personal' },
): SubscriptionState {
  const accountCreatedAt = account.createdAt;
  return {
    accountKind: account.kind,
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

/** Domain state -> the columns it owns, for updateSubscription (accountCreatedAt lives on accounts). */
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

/**
 * Subscription states of many accounts in one query (accounts without one are simply absent): the
 * group read of the grouped authorize, so raw SQL mapped by hand (drizzle's select and row mapping
 * were a quarter of the hot path's CPU).
 */
export async function getSubscriptionStates(
  db: Database,
  accountIds: readonly string[],
): Promise<Map<string, SubscriptionState>> {
  const distinct = [...new Set(accountIds)];
  if (distinct.length === 0) return new Map();
  const rows = await queryRows<StateRow>(
    db,
    sql`select s.account_id, s.plan, s.status, s.current_period_start, s.current_period_end,
          s.cancel_at_period_end, s.trial_start, s.trial_end, s.trial_used_at, s.past_due_since,
          s.custom_run_limit, s.stripe_customer_id, s.stripe_subscription_id, s.stripe_price_id,
          a.created_at as account_created_at, a.kind as account_kind,
          o.run_limit as o_run_limit, o.comp_plan as o_comp_plan, o.comp_from as o_comp_from,
          o.comp_until as o_comp_until,
          o.trial_start as o_trial_start, o.trial_end as o_trial_end, o.account_id is not null as has_overrides
        from subscriptions s join accounts a on a.id = s.account_id
        left join account_overrides o on o.account_id = s.account_id
        where s.account_id = any(${sql.param(distinct)}::uuid[])`,
  );
  return new Map(rows.map((row) => [row.account_id, stateOfRow(row)]));
}

interface StateRow extends Record<string, unknown> {
  account_id: string;
  plan: SubscriptionState['plan'];
  status: SubscriptionState['status'];
  current_period_start: Date | string | null;
  current_period_end: Date | string | null;
  cancel_at_period_end: boolean;
  trial_start: Date | string | null;
  trial_end: Date | string | null;
  trial_used_at: Date | string | null;
  past_due_since: Date | string | null;
  custom_run_limit: number | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  stripe_price_id: string | null;
  account_created_at: Date | string;
  account_kind: AccountKind;
  has_overrides: boolean;
  o_run_limit: number | null;
  o_comp_plan: CheckoutPlanId | null;
  o_comp_from: Date | string | null;
  o_comp_until: Date | string | null;
  o_trial_start: Date | string | null;
  o_trial_end: Date | string | null;
}

function stateOfRow(row: StateRow): SubscriptionState {
  return {
    accountKind: row.account_kind,
    plan: row.plan,
    status: row.status,
    currentPeriodStart: dateOfRow(row.current_period_start),
    currentPeriodEnd: dateOfRow(row.current_period_end),
    cancelAtPeriodEnd: row.cancel_at_period_end,
    trialStart: dateOfRow(row.trial_start),
    trialEnd: dateOfRow(row.trial_end),
    trialUsedAt: dateOfRow(row.trial_used_at),
    pastDueSince: dateOfRow(row.past_due_since),
    customRunLimit: row.custom_run_limit === null ? null : Number(row.custom_run_limit),
    accountCreatedAt: dateOfRow(row.account_created_at),
    stripeCustomerId: row.stripe_customer_id,
    stripeSubscriptionId: row.stripe_subscription_id,
    stripePriceId: row.stripe_price_id,
    ...(row.has_overrides && {
      overrides: {
        runLimit: row.o_run_limit === null ? null : Number(row.o_run_limit),
        compPlan: row.o_comp_plan,
        compFrom: dateOfRow(row.o_comp_from),
        compUntil: dateOfRow(row.o_comp_until),
        trialStart: dateOfRow(row.o_trial_start),
        trialEnd: dateOfRow(row.o_trial_end),
      },
    }),
  };
}
