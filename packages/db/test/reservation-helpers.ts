import { count, eq, sql } from 'drizzle-orm';
import { queryRows, usageLedger } from '../src';
import type { Database, ReserveRunInput, ReserveRunResult } from '../src';

export const NOW = new Date('2025-03-10T12:00:00Z');
export const PERIOD = { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-04-01T00:00:00Z') };
export const NEXT_PERIOD = { start: new Date('2025-04-01T00:00:00Z'), end: new Date('2025-05-01T00:00:00Z') };
export const SERVICE = { kind: 'service', id: 'key-1' } as const;

/** The account a run is charged to and the member it is for (makeUser's `owner`). */
export interface RunOwner {
  accountId: string;
  userId: string;
}

/** One run of `owner` as a service reserves it; the fingerprint defaults to one per run id. */
export function runOf(
  owner: RunOwner,
  runId: string,
  limit: number,
  overrides: Partial<ReserveRunInput> = {},
): ReserveRunInput {
  return {
    accountId: owner.accountId,
    userId: owner.userId,
    // Personal accounts count runs on the pool only (no member counter).
    countsMember: false,
    runId,
    limit,
    period: PERIOD,
    units: 1,
    isBlocked: false,
    fingerprint: `fp:${runId}`,
    actor: SERVICE,
    now: NOW,
    ...overrides,
  };
}

export function tally(results: readonly ReserveRunResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Ledger rows of one account (every row without one). */
export async function ledgerRows(db: Database, accountId?: string): Promise<number> {
  const query = db.select({ n: count() }).from(usageLedger);
  const [row] = await (accountId ? query.where(eq(usageLedger.accountId, accountId)) : query);
  return row?.n ?? 0;
}

/** Per period: the counter, the units its live ledger rows hold, and the stored limit. */
export async function periodTotals(db: Database) {
  return queryRows<{ account_id: string; used: number; held: number; run_limit: number }>(
    db,
    sql`select p.account_id, p.used, p.run_limit,
          (select coalesce(sum(l.units_reserved), 0)::int from usage_ledger l
            where l.account_id = p.account_id and l.period_id = p.id and l.state <> 'released') as held
        from usage_periods p`,
  );
}
