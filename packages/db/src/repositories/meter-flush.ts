import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { iso, lockAccountMeter, meterEventTime, periodFacts } from './meter-periods';

export { METER_BATCH_MAX_AGE_MS, meterEventTime, meterWindow } from './meter-periods';
export interface FlushResult {
  accountId: string;
  periodId: string;
  /**
   * `batched`: the unbatched entries summed to > 0 and are now one batch. `nothing_to_bill`: they sum to
   * 0 (a run given back before it was reported) or less (a settle gave back overage already reported):
   * left unstamped, netted against the period's next entries, or the reconciliation's to settle.
   * `no_customer`: the account has no Stripe customer; its entries wait for one. Such sets are not
   * even listed; these two outcomes are for a set that changed between the listing and its lock.
   */
  outcome: 'batched' | 'nothing_to_bill' | 'no_customer';
  /** The sum of the unbatched entries found. */
  units: number;
  batchId: string | null;
  entries: number;
}

/**
 * Turns each (account, period)'s unbatched journal entries into at most one batch, in one transaction per
 * pair under the account's lock. One statement sums the entries and, when the sum is > 0, stamps exactly
 * those rows with the new batch and inserts it with the sum of the rows it stamped (one snapshot: an
 * entry committed meanwhile is in neither, and goes to the next flush).
 */
export async function flushOverage(
  db: Database,
  options: { now: Date; eventName: string; accountId?: string; limit?: number },
): Promise<FlushResult[]> {
  const onlyAccount = options.accountId ? sql`and e.account_id = ${options.accountId}` : sql``;
  // Only what can become a batch: sets summing to ≤ 0, and accounts without a customer, would otherwise
  // be found again on every pass and, once there were `limit` of them, starve everyone else.
  const pairs = await queryRows<{ account_id: string; period_id: string }>(
    db,
    sql`select e.account_id, e.period_id from overage_entries e
        where e.batch_id is null ${onlyAccount}
          and exists (select 1 from subscriptions s
                      where s.account_id = e.account_id and s.stripe_customer_id is not null)
        group by e.account_id, e.period_id having sum(e.units) > 0
        order by min(e.id) limit ${options.limit ?? 500}`,
  );
  const results: FlushResult[] = [];
  for (const pair of pairs) {
    results.push(await flushPeriod(db, pair.account_id, pair.period_id, options));
  }
  return results;
}

async function flushPeriod(
  db: Database,
  accountId: string,
  periodId: string,
  options: { now: Date; eventName: string },
): Promise<FlushResult> {
  return db.transaction(async (tx) => {
    await tx.execute(lockAccountMeter(accountId));
    const facts = await periodFacts(tx, accountId, periodId);
    const base = { accountId, periodId, batchId: null, entries: 0 };
    if (!facts?.stripeCustomerId) {
      return {
        ...base,
        outcome: 'no_customer' as const,
        units: await unbatchedUnits(tx, accountId, periodId),
      };
    }
    const id = randomUUID();
    const [row] = await queryRows<{ due: number; value: number | null; entries: number }>(
      tx,
      sql`with due as (
            select coalesce(sum(units), 0)::int as total from overage_entries
            where account_id = ${accountId} and period_id = ${periodId} and batch_id is null),
          stamped as (
            update overage_entries set batch_id = ${id}
            where account_id = ${accountId} and period_id = ${periodId} and batch_id is null
              and (select total from due) > 0
            returning units),
          made as (
            insert into meter_batches (account_id, id, period_id, kind, value, stripe_customer_id,
              event_name, event_at, created_at, next_attempt_at)
            select ${accountId}, ${id}, ${periodId}, 'usage', sum(units)::int, ${facts.stripeCustomerId},
              ${options.eventName}, ${iso(meterEventTime(options.now, facts))}, ${iso(options.now)}, ${iso(options.now)}
            from stamped having count(*) > 0
            returning value)
          select (select total from due) as due, (select value from made) as value,
            (select count(*) from stamped)::int as entries`,
    );
    const units = Number(row?.due ?? 0);
    if (row?.value === null || row?.value === undefined)
      return { ...base, outcome: 'nothing_to_bill' as const, units };
    return { ...base, outcome: 'batched' as const, units, batchId: id, entries: Number(row.entries) };
  });
}

async function unbatchedUnits(db: Database, accountId: string, periodId: string): Promise<number> {
  const [row] = await queryRows<{ units: number }>(
    db,
    sql`select coalesce(sum(units), 0)::int as units from overage_entries
        where account_id = ${accountId} and period_id = ${periodId} and batch_id is null`,
  );
  return Number(row?.units ?? 0);
}
