import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import type { RunHolding } from './run-holdings';

/**
 * Moves overage into allowance a give-back just freed, so a period never ends with its allowance unused
 * while it bills overage: a run holding the whole allowance that settles at 1 frees 99 units, and the
 * overage other runs of the period drew meanwhile (because the allowance looked full) becomes allowance.
 *
 * Rule: at most `freed` units (and never past the period's run_limit) are taken from the overage held
 * by the period's other runs, reserved, started or settled, newest reservation first (reserved_at desc,
 * then run_id desc): a run's ledger row gets units_overage −k and units_from_allowance +k, the period
 * row overage_used −k and used +k. Member counters don't move (the units stay the member's) and neither
 * do grants (only allowance is moved into; a grant given back keeps its units for later runs). The
 * journal trigger (journal_overage, migration 0007) appends −k for a started or settled run, which the
 * meter flush nets against the period's entries (docs/design/overage.md § 2–3); a reserved run simply
 * journals less when it starts.
 *
 * Locks: the caller holds the period row (taken first, RunHolding's order) and its own run's ledger row.
 * Other runs' ledger rows are taken `for no key update skip locked`, never waited for: a concurrent
 * settle, release or start of such a run holds its ledger row and then waits for this period row (held
 * here), so waiting for its row would deadlock. A skipped run is being moved by its own transition right
 * now; its overage stays overage unless a later give-back moves it. Because nothing here ever waits, the
 * order the rows are locked in can't form a cycle.
 *
 * Only in the period in force (see the first query), and only runs whose overage is all counted in
 * this period are moved: an overrun settled after a renewal
 * counts its overage in the period in force (run-overrun-draws.ts, journalInPeriod), and moving it here
 * would take it off the wrong period row. Returns the units moved.
 */
export async function moveOverageIntoFreedAllowance(
  tx: Database,
  run: RunHolding,
  freed: number,
): Promise<number> {
  if (freed <= 0) return 0;
  // Only in the period in force: a period that has ended (renewed) or that another period replaced (a
  // cancel-now, which closed it) has been invoiced, and moving its overage would make the books
  // disagree with an invoice that billed it. The caller's period in force (the service's settle passes
  // its entitlement's) must be this one; without it, this one's window holds now and no row started
  // later holds now too. (An earlier row may: a FREE period the account ran in before it upgraded.
  // So a release, which passes none, after a cancel-now back to such a FREE period still moves.)
  const inForceStart = run.periodInForce ? run.periodInForce.start.toISOString() : null;
  const at = run.now.toISOString();
  const [period] = await queryRows<{ room: number; overage_used: number }>(
    tx,
    sql`select greatest(0, p.run_limit - p.used) as room, p.overage_used from usage_periods p
        where p.account_id = ${run.accountId} and p.id = ${run.periodId}
          and p.period_start <= ${at}::timestamptz and p.period_end > ${at}::timestamptz
          and (${inForceStart}::timestamptz is null or p.period_start = ${inForceStart}::timestamptz)
          and not exists (
            select 1 from usage_periods o
            where o.account_id = p.account_id and o.period_start > p.period_start
              and o.period_start <= ${at}::timestamptz and o.period_end > ${at}::timestamptz)`,
  );
  const units = Math.min(freed, Number(period?.room ?? 0), Number(period?.overage_used ?? 0));
  if (units <= 0) return 0;
  const [row] = await queryRows<{ moved: number | string | null }>(
    tx,
    sql`
      with held as (
        select l.run_id, l.units_overage, l.reserved_at from usage_ledger l
        where l.account_id = ${run.accountId} and l.period_id = ${run.periodId} and l.run_id <> ${run.runId}
          and l.units_overage > 0 and l.state in ('reserved', 'started', 'settled')
          and not exists (
            select 1 from overage_entries e
            where e.account_id = l.account_id and e.run_id = l.run_id and e.period_id <> l.period_id)
        -- The newest (units) runs are enough (each holds at least one unit of overage), found by the
        -- partial index usage_ledger_period_overage_idx: a settle reads a few rows, however many runs
        -- of the period hold overage.
        order by l.reserved_at desc nulls last, l.run_id desc nulls last
        limit ${units}::int
        for no key update of l skip locked
      ),
      ranked as (
        select run_id, units_overage,
          sum(units_overage) over (order by reserved_at desc, run_id desc) - units_overage as before
        from held
      ),
      moves as (
        select run_id, least(units_overage, ${units}::int - before)::int as k from ranked where before < ${units}::int
      ),
      moved as (
        update usage_ledger l set
          units_overage = l.units_overage - m.k,
          units_from_allowance = l.units_from_allowance + m.k
        from moves m
        where l.account_id = ${run.accountId} and l.run_id = m.run_id
        returning m.k
      )
      select coalesce(sum(k), 0) as moved from moved`,
  );
  const moved = Number(row?.moved ?? 0);
  if (moved > 0) {
    await tx.execute(sql`
      update usage_periods set overage_used = overage_used - ${moved}::int, used = used + ${moved}::int
      where account_id = ${run.accountId} and id = ${run.periodId}`);
  }
  return moved;
}
