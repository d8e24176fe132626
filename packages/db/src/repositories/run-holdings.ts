import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { overageBillable, overageCapRuns } from './overage-cap-sql';

/**
 * What one run holds and where it came from, moved after its reservation: a settle below the estimate
 * or a release gives units back, an overrun draws more. Call these inside the transaction that moved
 * the run's ledger row (so they run once per transition), with the run's row already locked by it.
 *
 * Locks are taken in the order of the reservation statement: the period row, the member row, then the
 * account's grants by id. So a settle, a release, a sweep and a reservation never wait in a cycle.
 */
export interface RunHolding {
  accountId: string;
  runId: string;
  userId: string;
  periodId: string;
  now: Date;
  /**
   * The price per overage run when the account's plan bills overage (an overrun may then be drawn as
   * overage, within the spend cap); null or omitted: an overrun never becomes overage.
   */
  overagePrice?: string | null;
}

interface GrantRow extends Record<string, unknown> {
  id: string;
  remaining: number;
  expires_at: Date | string | null;
  starts_at: Date | string;
  clawback_units: number;
  clawed_back_units: number;
  held: number | null;
}

interface PeriodRow extends Record<string, unknown> {
  used: number;
  run_limit: number;
  overage_used: number;
}

interface MemberRow extends Record<string, unknown> {
  used: number;
  run_cap: number | null;
}

/**
 * Gives back `units` of what the run holds, last drawn first (its overage, then grants in reverse draw
 * order, then the allowance): what is left is what reserving only the rest would have taken. A unit going back to a
 * grant pays what a refund still claws back first, and one going back to an expired grant counts as
 * expired. Returns the units actually given back (at most what the run held).
 */
export async function returnRunUnits(tx: Database, run: RunHolding, units: number): Promise<number> {
  if (units <= 0) return 0;
  await lockPeriodAndMember(tx, run);
  const grants = await lockGrants(tx, run);
  let left = units - (await returnOverage(tx, run, units));
  const held = grants.filter((grant) => (grant.held ?? 0) > 0).reverse();
  for (const grant of held) {
    if (left === 0) break;
    const back = Math.min(left, grant.held ?? 0);
    left -= back;
    const isExpired = grant.expires_at !== null && new Date(grant.expires_at) <= run.now;
    const owed = grant.clawback_units - grant.clawed_back_units;
    const toClawback = isExpired ? 0 : Math.min(back, owed);
    const toExpired = isExpired ? back : 0;
    await tx.execute(sql`
      update credit_grants set
        remaining = remaining + ${back - toClawback - toExpired}::int,
        clawed_back_units = clawed_back_units + ${toClawback}::int,
        expired_units = expired_units + ${toExpired}::int
      where account_id = ${run.accountId} and id = ${grant.id}`);
    await tx.execute(sql`
      update run_draws set units = units - ${back}::int
      where account_id = ${run.accountId} and run_id = ${run.runId} and grant_id = ${grant.id}`);
  }
  if (left > 0) {
    const [row] = await queryRows<{ back: number }>(
      tx,
      sql`
        with before as (
          select units_from_allowance from usage_ledger where account_id = ${run.accountId} and run_id = ${run.runId}
        )
        update usage_ledger l set units_from_allowance = l.units_from_allowance - least(${left}::int, b.units_from_allowance)
        from before b
        where l.account_id = ${run.accountId} and l.run_id = ${run.runId}
        returning least(${left}::int, b.units_from_allowance) as back`,
    );
    const back = Number(row?.back ?? 0);
    if (back > 0) {
      await tx.execute(sql`
        update usage_periods set used = used - ${back}::int
        where account_id = ${run.accountId} and id = ${run.periodId}`);
    }
    left -= back;
  }
  const returned = units - left;
  await tx.execute(sql`
    update member_usage_periods set used = used - ${returned}::int
    where account_id = ${run.accountId} and period_id = ${run.periodId} and user_id = ${run.userId}`);
  return returned;
}

/**
 * Draws up to `units` more for a run that cost more than it reserved: from the period's allowance
 * first, then the spendable grants in draw order, never past what they hold nor past the member's cap.
 * Returns the units drawn (the overrun beyond the balance is not charged).
 */
export async function drawRunUnits(tx: Database, run: RunHolding, units: number): Promise<number> {
  if (units <= 0) return 0;
  const { period, member } = await lockPeriodAndMember(tx, run);
  const grants = await lockGrants(tx, run);
  const memberRoom = member?.run_cap == null ? units : Math.max(0, member.run_cap - member.used);
  let left = Math.min(units, memberRoom);
  const fromAllowance = Math.min(left, Math.max(0, (period?.run_limit ?? 0) - (period?.used ?? 0)));
  if (fromAllowance > 0) {
    await tx.execute(sql`
      update usage_periods set used = used + ${fromAllowance}::int
      where account_id = ${run.accountId} and id = ${run.periodId}`);
    await tx.execute(sql`
      update usage_ledger set units_from_allowance = units_from_allowance + ${fromAllowance}::int
      where account_id = ${run.accountId} and run_id = ${run.runId}`);
    left -= fromAllowance;
  }
  for (const grant of grants) {
    if (left === 0) break;
    const isSpendable =
      grant.remaining > 0 &&
      new Date(grant.starts_at) <= run.now &&
      (grant.expires_at === null || new Date(grant.expires_at) > run.now);
    if (!isSpendable) continue;
    const take = Math.min(left, grant.remaining);
    left -= take;
    await tx.execute(sql`
      update credit_grants set remaining = remaining - ${take}::int
      where account_id = ${run.accountId} and id = ${grant.id}`);
    await tx.execute(sql`
      insert into run_draws (account_id, run_id, grant_id, units)
      values (${run.accountId}, ${run.runId}, ${grant.id}, ${take}::int)
      on conflict (account_id, run_id, grant_id) do update set units = run_draws.units + excluded.units`);
  }
  if (left > 0 && run.overagePrice) left -= await drawOverage(tx, run, left, period);
  const drawn = Math.min(units, memberRoom) - left;
  await tx.execute(sql`
    update member_usage_periods set used = used + ${drawn}::int
    where account_id = ${run.accountId} and period_id = ${run.periodId} and user_id = ${run.userId}`);
  return drawn;
}

/** Gives back up to `units` of the run's overage (the last it drew); returns how many. */
async function returnOverage(tx: Database, run: RunHolding, units: number): Promise<number> {
  const [row] = await queryRows<{ back: number }>(
    tx,
    sql`
      with before as (
        select units_overage from usage_ledger where account_id = ${run.accountId} and run_id = ${run.runId}
      )
      update usage_ledger l set units_overage = l.units_overage - least(${units}::int, b.units_overage)
      from before b
      where l.account_id = ${run.accountId} and l.run_id = ${run.runId} and b.units_overage > 0
      returning least(${units}::int, b.units_overage) as back`,
  );
  const back = Number(row?.back ?? 0);
  if (back > 0) {
    await tx.execute(sql`
      update usage_periods set overage_used = overage_used - ${back}::int
      where account_id = ${run.accountId} and id = ${run.periodId}`);
  }
  return back;
}

/**
 * Draws up to `units` of overage for an overrun, when the account opted in and its subscription carries
 * the metered item, within its spend cap (the period row is locked by the caller, so the cap holds
 * against concurrent reservations). Returns how many.
 */
async function drawOverage(
  tx: Database,
  run: RunHolding,
  units: number,
  period: PeriodRow | null,
): Promise<number> {
  if (!period) return 0;
  const [settings] = await queryRows<{ cap: number | null }>(
    tx,
    sql`
      select ${overageCapRuns('s', sql`${run.overagePrice}::numeric`)} as cap
      from account_spend_settings s
      join subscriptions sub on sub.account_id = s.account_id and ${overageBillable('sub')}
      where s.account_id = ${run.accountId} and s.overage_enabled`,
  );
  if (!settings) return 0;
  const room =
    settings.cap === null ? units : Math.max(0, Number(settings.cap) - Number(period.overage_used));
  const take = Math.min(units, room);
  if (take === 0) return 0;
  await tx.execute(sql`
    update usage_periods set overage_used = overage_used + ${take}::int
    where account_id = ${run.accountId} and id = ${run.periodId}`);
  await tx.execute(sql`
    update usage_ledger set units_overage = units_overage + ${take}::int
    where account_id = ${run.accountId} and run_id = ${run.runId}`);
  return take;
}

async function lockPeriodAndMember(
  tx: Database,
  run: RunHolding,
): Promise<{ period: PeriodRow | null; member: MemberRow | null }> {
  const [period] = await queryRows<PeriodRow>(
    tx,
    sql`select used, run_limit, overage_used from usage_periods
        where account_id = ${run.accountId} and id = ${run.periodId} for no key update`,
  );
  const [member] = await queryRows<MemberRow>(
    tx,
    sql`select used, run_cap from member_usage_periods
        where account_id = ${run.accountId} and period_id = ${run.periodId} and user_id = ${run.userId}
        for no key update`,
  );
  return { period: period ?? null, member: member ?? null };
}

/**
 * The account's grants this run may touch (spendable ones, and those it holds units of), locked by id,
 * returned in draw order (priority, soonest expiry, oldest) with what the run holds of each.
 */
async function lockGrants(tx: Database, run: RunHolding): Promise<GrantRow[]> {
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
