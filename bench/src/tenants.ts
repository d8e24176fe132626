import { queryRows, type Database } from '@tollgate/db';
import { MS_PER_DAY } from '@tollgate/domain';
import { sql } from 'drizzle-orm';

import type { Tenant } from '@tollgate/api';

export { personalTenant, type Tenant } from '@tollgate/api';

/**
 * `count` users `<prefix>-00000…`, each with its personal account (owner membership) on an active
 * ENTERPRISE plan with `runLimit` runs in the current 30-day period, written with four set-based
 * statements (seeding must not eat the time budget). Returns the user ids: a tenant is
 * `personalTenant(id)`.
 */
export async function seedTenants(
  db: Database,
  prefix: string,
  count: number,
  runLimit: number,
  now = new Date(),
): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
  const periodStart = new Date(now.getTime() - MS_PER_DAY).toISOString();
  const periodEnd = new Date(now.getTime() + 29 * MS_PER_DAY).toISOString();
  await db.execute(sql`
    insert into users (id, auth_source, created_at)
    select id, 'host', ${periodStart}::timestamptz from unnest(${sql.param(ids)}::text[]) as t(id)`);
  // personal_account_id(): the migration's SQL twin of personalAccountId().
  await db.execute(sql`
    insert into accounts (id, kind, personal_user_id, created_by_user_id, created_at)
    select personal_account_id(id), 'personal', id, id, ${periodStart}::timestamptz
    from unnest(${sql.param(ids)}::text[]) as t(id)`);
  await db.execute(sql`
    insert into account_memberships (account_id, user_id, role, created_at)
    select personal_account_id(id), id, 'owner', ${periodStart}::timestamptz
    from unnest(${sql.param(ids)}::text[]) as t(id)`);
  await db.execute(sql`
    insert into subscriptions
      (account_id, plan, status, current_period_start, current_period_end, custom_run_limit, created_at, updated_at)
    select personal_account_id(id), 'ENTERPRISE', 'active', ${periodStart}::timestamptz,
      ${periodEnd}::timestamptz, ${runLimit}, ${periodStart}::timestamptz, ${periodStart}::timestamptz
    from unnest(${sql.param(ids)}::text[]) as t(id)`);
  return ids;
}

/**
 * One team account `<prefix>-team` with `members` members (`<prefix>-m00000…`, the first its owner) on
 * an active ENTERPRISE plan with `runLimit` runs, the first `cappedMembers` of them capped at
 * `memberCap` runs per period. Returns the members as tenants of the team.
 */
export async function seedTeam(
  db: Database,
  input: { prefix: string; members: number; runLimit: number; cappedMembers: number; memberCap: number },
  now = new Date(),
): Promise<Tenant[]> {
  const owners = await seedTenants(db, `${input.prefix}-m`, input.members, 0, now);
  const periodStart = new Date(now.getTime() - MS_PER_DAY).toISOString();
  const periodEnd = new Date(now.getTime() + 29 * MS_PER_DAY).toISOString();
  const [team] = await queryRows<{ id: string }>(
    db,
    sql`insert into accounts (id, kind, name, created_by_user_id, created_at)
        values (gen_random_uuid(), 'team', ${input.prefix}, ${owners[0] ?? ''}, ${periodStart}::timestamptz)
        returning id`,
  );
  const accountId = team?.id ?? '';
  await db.execute(sql`
    insert into account_memberships (account_id, user_id, role, monthly_run_cap, created_at)
    select ${accountId}::uuid, id, case when ord = 1 then 'owner' else 'member' end,
      case when ord <= ${input.cappedMembers} then ${input.memberCap}::int end, ${periodStart}::timestamptz
    from unnest(${sql.param(owners)}::text[]) with ordinality as t(id, ord)`);
  await db.execute(sql`
    insert into subscriptions
      (account_id, plan, status, current_period_start, current_period_end, custom_run_limit, created_at, updated_at)
    values (${accountId}::uuid, 'ENTERPRISE', 'active', ${periodStart}::timestamptz, ${periodEnd}::timestamptz,
      ${input.runLimit}, ${periodStart}::timestamptz, ${periodStart}::timestamptz)`);
  return owners.map((userId) => ({ accountId, userId, kind: 'team' as const }));
}

export interface UsageTotals {
  /** Sum of the period counters of these accounts. */
  used: number;
  /** Their ledger rows that are not released. */
  ledger: number;
  /** Periods whose counter is above the limit stored on the period row (must stay 0). */
  overLimit: number;
  /** Periods whose counter differs from their own ledger rows (must stay 0). */
  mismatched: number;
}

/** Counters vs ledger vs limits for the personal accounts of the users whose id starts with `prefix`. */
export async function usageTotals(db: Database, prefix: string): Promise<UsageTotals> {
  const [row] = await queryRows<{ used: number; ledger: number; over_limit: number; mismatched: number }>(
    db,
    sql`
      with periods as (
        select p.id, p.used, p.run_limit,
          (select count(*)::int from usage_ledger l
            where l.account_id = p.account_id and l.period_id = p.id and l.state <> 'released') as ledger
        from usage_periods p join accounts a on a.id = p.account_id
        where a.personal_user_id like ${`${prefix}-%`}
      )
      select coalesce(sum(used), 0)::int as used, coalesce(sum(ledger), 0)::int as ledger,
        count(*) filter (where used > run_limit)::int as over_limit,
        count(*) filter (where used <> ledger)::int as mismatched
      from periods`,
  );
  return {
    used: row?.used ?? 0,
    ledger: row?.ledger ?? 0,
    overLimit: row?.over_limit ?? 0,
    mismatched: row?.mismatched ?? 0,
  };
}

/**
 * Gives each of these tenants (personal accounts of `userIds`) two packs of `units` runs, expiring in
 * 30 and 300 days: with a small plan allowance, their runs draw the allowance, then the sooner pack
 * (the multi-bucket path of the reservation statement). One set-based statement.
 */
export async function seedPacks(db: Database, userIds: readonly string[], units: number, now = new Date()) {
  const startsAt = new Date(now.getTime() - MS_PER_DAY).toISOString();
  await db.execute(sql`
    insert into credit_grants
      (account_id, source, pack_id, units, remaining, starts_at, expires_at, checkout_session_id,
        amount_paid_cents, currency)
    select personal_account_id(t.id), 'pack', 'PACK_1000', ${units}, ${units}, ${startsAt}::timestamptz,
      ${startsAt}::timestamptz + make_interval(days => d.days), 'cs_bench_' || t.id || '_' || d.days, 8000, 'usd'
    from unnest(${sql.param([...userIds])}::text[]) as t(id)
    cross join (values (30), (300)) as d(days)`);
}
