import { and, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { accountSpendSettings, autoTopUps, creditGrants } from '../schema';
import type { AutoTopUpRow } from '../schema';

/** Purchases that count against the monthly limit since `since` (declined ones count: each was an attempt). */
export async function countAutoTopUpsSince(db: Database, accountId: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(autoTopUps)
    .where(
      and(
        eq(autoTopUps.accountId, accountId),
        gte(autoTopUps.createdAt, since),
        inArray(autoTopUps.status, ['pending', 'succeeded', 'declined']),
      ),
    );
  return Number(row?.n ?? 0);
}

export async function latestAutoTopUp(db: Database, accountId: string): Promise<AutoTopUpRow | null> {
  const [row] = await db
    .select()
    .from(autoTopUps)
    .where(eq(autoTopUps.accountId, accountId))
    .orderBy(desc(autoTopUps.createdAt))
    .limit(1);
  return row ?? null;
}

/**
 * Starts an automatic purchase if the account's settings allow one now: auto top-up on, the spendable
 * balance (what the period's allowance has left plus the spendable grants) below the threshold NOW,
 * not in a back-off after a decline, under the monthly limit, and none pending (a unique index: of any
 * number of concurrent callers, one inserts). One statement. Since the pack lifts the balance over the
 * threshold (settings refuse a threshold at or above its runs), a purchase needs a new crossing: a late
 * observation of an old low balance finds it high and buys nothing. Returns the new purchase, or null.
 */
export async function startAutoTopUp(
  db: Database,
  input: { accountId: string; periodStart: Date; now: Date; monthStart: Date },
): Promise<AutoTopUpRow | null> {
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const rows = await queryRows<{ id: string; pack_id: string; created_at: Date | string }>(
    db,
    sql`
      insert into auto_top_ups (account_id, pack_id, created_at)
      select s.account_id, s.auto_top_up_pack_id, ${now}
      from account_spend_settings s
      where s.account_id = ${input.accountId} and s.auto_top_up_enabled
        and (s.auto_top_up_backoff_until is null or s.auto_top_up_backoff_until <= ${now})
        and ${spendableBalance(input.periodStart, now)} < s.auto_top_up_threshold
        and (
          select count(*) from auto_top_ups t
          where t.account_id = s.account_id and t.created_at >= ${input.monthStart.toISOString()}::timestamptz
            and t.status in ('pending', 'succeeded', 'declined')
        ) < s.auto_top_up_monthly_limit
      on conflict (account_id) where status = 'pending' do nothing
      returning id, pack_id, created_at`,
  );
  const [row] = rows;
  if (!row) return null;
  return {
    accountId: input.accountId,
    id: row.id,
    packId: row.pack_id,
    status: 'pending',
    paymentIntentId: null,
    failureCode: null,
    createdAt: new Date(row.created_at),
    finishedAt: null,
  };
}

/**
 * The spendable balance of the account of the settings row `s`: what the period's allowance has left
 * plus what its spendable grants hold at `now` (0 for a period row that doesn't exist yet).
 */
function spendableBalance(periodStart: Date, now: SQL): SQL {
  return sql`(coalesce((
          select greatest(p.run_limit - p.used, 0) from usage_periods p
          where p.account_id = s.account_id
            and p.period_start = ${periodStart.toISOString()}::timestamptz
        ), 0) + coalesce((
          select sum(g.remaining) from credit_grants g
          where g.account_id = s.account_id and g.remaining > 0 and g.starts_at <= ${now}
            and (g.expires_at is null or g.expires_at > ${now})
        ), 0))`;
}

/**
 * The account's auto top-up threshold and its spendable balance now (the one `startAutoTopUp`
 * compares), in one statement; null when auto top-up is off. For an observer that has no balance of its
 * own to report (a settle that drew an overrun).
 */
export async function readAutoTopUpBalance(
  db: Database,
  input: { accountId: string; periodStart: Date; now: Date },
): Promise<{ threshold: number; balance: number } | null> {
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const [row] = await queryRows<{ threshold: number | string; balance: number | string }>(
    db,
    sql`
      select s.auto_top_up_threshold as threshold, ${spendableBalance(input.periodStart, now)} as balance
      from account_spend_settings s
      where s.account_id = ${input.accountId} and s.auto_top_up_enabled
        and s.auto_top_up_threshold is not null`,
  );
  return row ? { threshold: Number(row.threshold), balance: Number(row.balance) } : null;
}

/** Purchases still pending since before `before` (their charge's answer was lost, or the process died). */
export async function listStalePendingAutoTopUps(db: Database, before: Date): Promise<AutoTopUpRow[]> {
  return db
    .select()
    .from(autoTopUps)
    .where(and(eq(autoTopUps.status, 'pending'), lt(autoTopUps.createdAt, before)))
    .orderBy(autoTopUps.createdAt)
    .limit(100);
}

export type AutoTopUpOutcome =
  | {
      status: 'succeeded';
      paymentIntentId: string;
      units: number;
      amountPaidCents: number;
      currency: string;
      expiresAt: Date;
    }
  | { status: 'declined'; paymentIntentId: string | null; code: string; backoffUntil: Date }
  | { status: 'failed'; code: string; backoffUntil: Date };

/**
 * Records a purchase's outcome once (only a pending one moves), in one transaction with its effect:
 * the pack credited (a grant keyed by the purchase, so it is credited once), or the back-off set.
 * `onFinished` runs inside the same transaction (the decline email is enqueued there). Returns false
 * when the purchase was not pending any more (another process finished it).
 */
export async function finishAutoTopUp(
  db: Database,
  purchase: Pick<AutoTopUpRow, 'accountId' | 'id' | 'packId'>,
  outcome: AutoTopUpOutcome,
  now: Date,
  onFinished?: (tx: Database) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [moved] = await tx
      .update(autoTopUps)
      .set({
        status: outcome.status,
        finishedAt: now,
        paymentIntentId: 'paymentIntentId' in outcome ? outcome.paymentIntentId : null,
        failureCode: outcome.status === 'succeeded' ? null : outcome.code,
      })
      .where(
        and(
          eq(autoTopUps.accountId, purchase.accountId),
          eq(autoTopUps.id, purchase.id),
          eq(autoTopUps.status, 'pending'),
        ),
      )
      .returning({ id: autoTopUps.id });
    if (!moved) return false;
    if (outcome.status === 'succeeded') {
      await tx.insert(creditGrants).values({
        accountId: purchase.accountId,
        source: 'pack',
        packId: purchase.packId,
        units: outcome.units,
        remaining: outcome.units,
        startsAt: now,
        expiresAt: outcome.expiresAt,
        autoTopUpId: purchase.id,
        paymentIntentId: outcome.paymentIntentId,
        amountPaidCents: outcome.amountPaidCents,
        currency: outcome.currency,
        reason: 'Automatic top-up',
      });
    }
    // A failed request (Stripe refused it: a detached card, a pack no longer sold) backs off like a
    // decline: refusals ask for a purchase, and without it each would make another failing one.
    if (outcome.status === 'declined' || outcome.status === 'failed') {
      await tx
        .update(accountSpendSettings)
        .set({ autoTopUpBackoffUntil: outcome.backoffUntil })
        .where(eq(accountSpendSettings.accountId, purchase.accountId));
    }
    await onFinished?.(tx);
    return true;
  });
}
