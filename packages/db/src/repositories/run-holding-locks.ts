import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import type { RunHolding } from './run-holdings';

// The row locks under which a run's holding moves, shared by giving units back (run-holdings.ts) and
// drawing an overrun (run-overrun-draws.ts); the order they are taken in is RunHolding's.

export interface GrantRow extends Record<string, unknown> {
  id: string;
  remaining: number;
  expires_at: Date | string | null;
  starts_at: Date | string;
  clawback_units: number;
  clawed_back_units: number;
  held: number | null;
}

export interface PeriodRow extends Record<string, unknown> {
  used: number;
  run_limit: number;
  overage_used: number;
}

export interface MemberRow extends Record<string, unknown> {
  used: number;
  run_cap: number | null;
}

export async function lockPeriod(tx: Database, run: RunHolding, periodId: string): Promise<PeriodRow | null> {
  const [period] = await queryRows<PeriodRow>(
    tx,
    sql`select used, run_limit, overage_used from usage_periods
        where account_id = ${run.accountId} and id = ${periodId} for no key update`,
  );
  return period ?? null;
}

export async function lockMember(tx: Database, run: RunHolding, periodId: string): Promise<MemberRow | null> {
  const [member] = await queryRows<MemberRow>(
    tx,
    sql`select used, run_cap from member_usage_periods
        where account_id = ${run.accountId} and period_id = ${periodId} and user_id = ${run.userId}
        for no key update`,
  );
  return member ?? null;
}

/**
 * The account's grants this run may touch (spendable ones, and those it holds units of), locked by id,
 * returned in draw order (priority, soonest expiry, oldest) with what the run holds of each.
 */
export async function lockGrants(tx: Database, run: RunHolding): Promise<GrantRow[]> {
  const rows = await queryRows<GrantRow & { priority: number; created_at: Date | string }>(
    tx,
    sql`
      select g.id, g.remaining, g.expires_at, g.starts_at, g.priority, g.created_at, g.clawback_units,
        g.clawed_back_units, d.units as held
      from credit_grants g
      left join run_draws d on d.account_id = g.account_id and d.grant_id = g.id and d.run_id = ${run.runId}
      where g.account_id = ${run.accountId} and (g.remaining > 0 or d.units > 0)
      order by g.id
      for no key update of g`,
  );
  return rows
    .map((row) => ({
      ...row,
      remaining: Number(row.remaining),
      clawback_units: Number(row.clawback_units),
      clawed_back_units: Number(row.clawed_back_units),
      held: row.held === null ? null : Number(row.held),
    }))
    .sort(
      (a, b) =>
        a.priority - b.priority ||
        expiryOrder(a.expires_at) - expiryOrder(b.expires_at) ||
        new Date(a.created_at).getTime() - new Date(b.created_at).getTime() ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
}

function expiryOrder(expiresAt: Date | string | null): number {
  return expiresAt === null ? Number.POSITIVE_INFINITY : new Date(expiresAt).getTime();
}
