import { TRIAL_DAYS } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';

// What revenue analytics reads besides the subscription history, each as one grouped query over
// Tollgate's own tables (months in UTC, "YYYY-MM"). Whole-table scans: fine for a console, and
// docs/scaling.md's read replica is where they belong at scale.

export interface TrialWindow {
  accountId: string;
  startedAt: Date;
  endsAt: Date;
}

/**
 * Each account's trial window: an operator's (extended or restarted) over the subscription's; once the
 * account has paid, the subscription holds the paid state (no trial dates), so Tollgate's own trial is
 * then read from when it was used (`trial_used_at`, kept for good) and its fixed length: a trial that
 * converted stays in its cohort.
 */
export async function listTrialWindows(db: Database): Promise<TrialWindow[]> {
  const rows = await queryRows<{ account_id: string; started_at: Date | string; ends_at: Date | string }>(
    db,
    sql`select account_id, started_at, ends_at from (
          select s.account_id,
            coalesce(o.trial_start, s.trial_start, s.trial_used_at) as started_at,
            coalesce(o.trial_end, s.trial_end,
              s.trial_used_at + make_interval(days => ${TRIAL_DAYS}::int)) as ends_at
          from subscriptions s
          left join account_overrides o on o.account_id = s.account_id
        ) w
        where started_at is not null and ends_at is not null`,
  );
  return rows.map((row) => ({
    accountId: row.account_id,
    startedAt: new Date(row.started_at),
    endsAt: new Date(row.ends_at),
  }));
}

export interface AccountMonthCount {
  accountId: string;
  month: string;
  count: number;
}

/**
 * Runs per account and month of their reservation: every run that holds its charge (reserved,
 * started or settled); a released run gave its charge back and isn't counted.
 */
export async function countRunsHoldingCharge(
  db: Database,
  from: Date,
  until: Date,
): Promise<AccountMonthCount[]> {
  return monthCounts(
    db,
    sql`select account_id, to_char(reserved_at at time zone 'UTC', 'YYYY-MM') as month, count(*) as count
        from usage_ledger
        where reserved_at >= ${from} and reserved_at < ${until} and state <> 'released'
        group by 1, 2`,
  );
}

/** Authorizations granted per account and month (every reserved run, started or not). */
export async function countGrantedAuthorizations(
  db: Database,
  from: Date,
  until: Date,
): Promise<AccountMonthCount[]> {
  return monthCounts(
    db,
    sql`select account_id, to_char(reserved_at at time zone 'UTC', 'YYYY-MM') as month, count(*) as count
        from usage_ledger
        where reserved_at >= ${from} and reserved_at < ${until}
        group by 1, 2`,
  );
}

async function monthCounts(db: Database, query: ReturnType<typeof sql>): Promise<AccountMonthCount[]> {
  const rows = await queryRows<{ account_id: string; month: string; count: string | number }>(db, query);
  return rows.map((row) => ({ accountId: row.account_id, month: row.month, count: Number(row.count) }));
}

/** Accounts and when they were created: an account that ran nothing in a month still counts (as 0). */
export async function listAccountsCreated(db: Database): Promise<{ accountId: string; createdAt: Date }[]> {
  const rows = await queryRows<{ id: string; created_at: Date | string }>(
    db,
    sql`select id, created_at from accounts`,
  );
  return rows.map((row) => ({ accountId: row.id, createdAt: new Date(row.created_at) }));
}

/** Run packs bought (credited after payment), for the first-402 follow-up. */
export async function listPackPurchases(db: Database): Promise<{ accountId: string; at: Date }[]> {
  const rows = await queryRows<{ account_id: string; created_at: Date | string }>(
    db,
    sql`select account_id, created_at from credit_grants where source = 'pack'`,
  );
  return rows.map((row) => ({ accountId: row.account_id, at: new Date(row.created_at) }));
}

/** Overage runs per account and usage period, by the month the period started in. */
export async function listOverageByPeriod(
  db: Database,
): Promise<{ accountId: string; month: string; periodStart: Date; runs: number }[]> {
  const rows = await queryRows<{
    account_id: string;
    month: string;
    period_start: Date | string;
    overage_used: number;
  }>(
    db,
    sql`select account_id, to_char(period_start at time zone 'UTC', 'YYYY-MM') as month, period_start,
          overage_used
        from usage_periods where overage_used > 0`,
  );
  return rows.map((row) => ({
    accountId: row.account_id,
    month: row.month,
    periodStart: new Date(row.period_start),
    runs: Number(row.overage_used),
  }));
}
