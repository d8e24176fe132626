import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';

/**
 * The meter batch outbox: journal entries (overage_entries) → batches (meter_batches) → Stripe meter
 * events. A batch's id is its event's identifier, so a resend is deduplicated by Stripe — for about 24
 * hours only: a batch not delivered 23 hours after it was made is never sent again (`abandoned`), and
 * the reconciliation compares totals instead. The hour in between covers a lease and clock skew.
 */
export const METER_BATCH_MAX_AGE_MS = 23 * 3_600_000;

const MINUTE_MS = 60_000;
export const iso = (date: Date) => sql`${date.toISOString()}::timestamptz`;
export const toDate = (value: Date | string) => new Date(value);

/**
 * Flushes and reconciliations of one account take turns (a transaction-scoped advisory lock): each one
 * then reads every unbatched entry committed before it, so two of them can't split an account's entries
 * (a split could make a part of a positive sum ≤ 0, or stamp an entry the other one summed).
 */
export const lockAccountMeter = (accountId: string) =>
  sql`select pg_advisory_xact_lock(hashtext('tollgate:meter-batches'), hashtext(${accountId}))`;

/**
 * Where a period's meter events are stamped and summed: the whole minutes inside it, because Stripe's
 * event summaries take minute-aligned bounds. Events in [start, end) of this window are billed on the
 * period's invoice and never counted in the window of a period that only touches it (one ending at its
 * start, one starting at its end). Periods that overlap (cancel and resubscribe mid-month) share
 * minutes: they are summed together (see `overlappingGroup`), never one by one.
 */
export function meterWindow(period: { start: Date; end: Date }): { start: Date; end: Date } {
  const start = Math.ceil(period.start.getTime() / MINUTE_MS) * MINUTE_MS;
  const end = Math.floor(period.end.getTime() / MINUTE_MS) * MINUTE_MS;
  return end > start ? { start: new Date(start), end: new Date(end) } : period;
}

/** A batch's event time: now, kept inside the period's window (a late flush lands in its last second). */
export function meterEventTime(now: Date, period: { start: Date; end: Date }): Date {
  const window = meterWindow(period);
  const last = window.end.getTime() - 1_000;
  return new Date(Math.max(window.start.getTime(), Math.min(now.getTime(), last)));
}

export interface PeriodFacts {
  start: Date;
  end: Date;
  /** The account's Stripe customer now (null: none, nothing can be reported). */
  stripeCustomerId: string | null;
}

export async function periodFacts(
  db: Database,
  accountId: string,
  periodId: string,
): Promise<PeriodFacts | null> {
  const [row] = await queryRows<{
    period_start: Date | string;
    period_end: Date | string;
    stripe_customer_id: string | null;
  }>(
    db,
    sql`select p.period_start, p.period_end, s.stripe_customer_id from usage_periods p
        left join subscriptions s on s.account_id = p.account_id
        where p.account_id = ${accountId} and p.id = ${periodId}`,
  );
  if (!row) return null;
  const facts = { start: toDate(row.period_start), end: toDate(row.period_end) };
  return { ...facts, stripeCustomerId: row.stripe_customer_id };
}
