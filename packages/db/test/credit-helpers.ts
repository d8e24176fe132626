import { sql } from 'drizzle-orm';
import { creditGrants, queryRows } from '../src';
import type { Database } from '../src';
import { NOW } from './reservation-helpers';

const YEAR_MS = 365 * 86_400_000;

/** A grant of `units` for the account, expiring `expiresInDays` after NOW (a pack unless said). */
export async function grant(
  db: Database,
  accountId: string,
  units: number,
  options: { expiresInDays?: number; priority?: number; createdAt?: Date; paymentIntentId?: string } = {},
) {
  const [row] = await db
    .insert(creditGrants)
    .values({
      accountId,
      source: 'pack',
      packId: 'PACK_100',
      units,
      remaining: units,
      priority: options.priority ?? 100,
      startsAt: new Date(NOW.getTime() - 30 * 86_400_000),
      expiresAt: new Date(NOW.getTime() + (options.expiresInDays ?? 365) * 86_400_000),
      checkoutSessionId: `cs_${Math.random().toString(36).slice(2)}`,
      paymentIntentId: options.paymentIntentId ?? null,
      amountPaidCents: 1000,
      currency: 'usd',
      createdAt: options.createdAt ?? new Date(NOW.getTime() - YEAR_MS / 12),
    })
    .returning();
  if (!row) throw new Error('grant: no row');
  return row;
}

export interface Books {
  /** Units the ledger says runs hold (reserved, started: the estimate; settled: what was charged). */
  ledgerUnits: number;
  /** Units the period counters and the run draws hold. */
  bucketUnits: number;
  /** Grants whose parts don't add up to their units (must be none). */
  unbalancedGrants: string[];
  /** Runs whose holdings (allowance + draws) differ from what the ledger charges (must be none). */
  unbalancedRuns: string[];
}

/**
 * The books of one database: the ledger equals the sum of bucket movements, for every run and grant.
 * Units held by a run = units_from_allowance + Σ run_draws; every grant's units = remaining + Σ draws +
 * expired + clawed back.
 */
export async function readBooks(db: Database): Promise<Books> {
  const [totals] = await queryRows<{ ledger: number; periods: number; draws: number }>(
    db,
    sql`select
      (select coalesce(sum(case state when 'released' then 0 when 'settled' then units_settled else units_reserved end), 0)::int from usage_ledger) as ledger,
      (select coalesce(sum(used), 0)::int from usage_periods) as periods,
      (select coalesce(sum(units), 0)::int from run_draws) as draws`,
  );
  const grants = await queryRows<{ id: string }>(
    db,
    sql`select g.id from credit_grants g
        where g.units <> g.remaining + g.expired_units + g.clawed_back_units
          + (select coalesce(sum(d.units), 0) from run_draws d where d.account_id = g.account_id and d.grant_id = g.id)`,
  );
  const runs = await queryRows<{ run_id: string }>(
    db,
    sql`select l.run_id from usage_ledger l
        where (case l.state when 'released' then 0 when 'settled' then l.units_settled else l.units_reserved end)
          <> l.units_from_allowance
          + (select coalesce(sum(d.units), 0) from run_draws d where d.account_id = l.account_id and d.run_id = l.run_id)`,
  );
  return {
    ledgerUnits: Number(totals?.ledger ?? 0),
    bucketUnits: Number(totals?.periods ?? 0) + Number(totals?.draws ?? 0),
    unbalancedGrants: grants.map((row) => row.id),
    unbalancedRuns: runs.map((row) => row.run_id),
  };
}

/** A grant's current row. */
export async function grantRow(db: Database, id: string) {
  const [row] = await queryRows<{
    remaining: number;
    expired_units: number;
    clawed_back_units: number;
    clawback_units: number;
  }>(
    db,
    sql`select remaining, expired_units, clawed_back_units, clawback_units from credit_grants where id = ${id}`,
  );
  return row;
}

/** What each run drew from grants: `runId → { grantId: units }`. */
export async function drawsOf(db: Database, accountId: string): Promise<Map<string, Record<string, number>>> {
  const rows = await queryRows<{ run_id: string; grant_id: string; units: number }>(
    db,
    sql`select run_id, grant_id, units from run_draws where account_id = ${accountId} and units > 0`,
  );
  const byRun = new Map<string, Record<string, number>>();
  for (const row of rows)
    byRun.set(row.run_id, { ...byRun.get(row.run_id), [row.grant_id]: Number(row.units) });
  return byRun;
}
