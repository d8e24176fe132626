import {
  FREE_FALLBACK_STATUSES,
  PLAN_IDS,
  PLANS,
  type AccountKind,
  type PlanId,
  type SubscriptionStatus,
} from '@tollgate/domain';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../database';
import { isUuid } from '../../ids';
import { queryRows } from '../../raw-query';
import { dateOfRow } from '../../row-date';

export const CUSTOMER_SEARCH_SORTS = ['created', 'email', 'plan', 'usage'] as const;
export type CustomerSearchSort = (typeof CUSTOMER_SEARCH_SORTS)[number];

export interface CustomerSearchFilter {
  /** Part of the owner's email or the account's name (matched literally), or a whole account id. */
  query?: string;
  plans?: readonly PlanId[];
  statuses?: readonly SubscriptionStatus[];
  pastDueOnly?: boolean;
  /** used × 10 ≥ limit × 8 (at least 80 % of the period's allowance), limit > 0. */
  nearLimitOnly?: boolean;
  overageOnly?: boolean;
  sort: CustomerSearchSort;
  direction: 'asc' | 'desc';
  offset: number;
  limit: number;
  /** The instant whose usage period is read. */
  now: Date;
}

export interface CustomerSearchRow {
  accountId: string;
  kind: AccountKind;
  name: string | null;
  ownerEmail: string;
  plan: PlanId;
  status: SubscriptionStatus;
  isPastDue: boolean;
  used: number;
  limit: number;
  usageBasisPoints: number | null;
  overageEnabled: boolean;
  createdAt: Date;
}

interface RawRow extends Record<string, unknown> {
  total: number | string;
  id: string | null;
  kind: AccountKind;
  name: string | null;
  owner_email: string | null;
  plan: PlanId;
  status: SubscriptionStatus;
  used: number | string;
  run_limit: number | string;
  usage_bp: number | string | null;
  overage_enabled: boolean;
  created_at: Date | string;
}

/** `%`, `_` and `\` in what a person typed match themselves (ILIKE's default escape is `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** The limit of an account with no period row yet (no run this period): its plan's, or its override. */
function planLimitCase(): SQL {
  const fallback = sql.join(
    FREE_FALLBACK_STATUSES.map((status) => sql`${status}`),
    sql`, `,
  );
  const byPlan = sql.join(
    PLAN_IDS.map((plan) =>
      plan === 'ENTERPRISE'
        ? sql`when 'ENTERPRISE' then coalesce(s.custom_run_limit, 0)`
        : sql`when ${plan} then ${PLANS[plan].runLimit ?? 0}::int`,
    ),
    sql` `,
  );
  return sql`case
      when a.kind = 'team' and (s.plan = 'FREE' or s.status in (${fallback})) then 0
      when s.status in (${fallback}) then ${PLANS.FREE.runLimit ?? 0}::int
      else case s.plan ${byPlan} else 0 end
    end`;
}

function orderBy(sort: CustomerSearchSort, direction: 'asc' | 'desc'): SQL {
  const dir = direction === 'asc' ? sql`asc` : sql`desc`;
  const planOrder = sql.join(
    PLAN_IDS.map((plan) => sql`${plan}`),
    sql`, `,
  );
  const key = {
    created: sql`m.created_at ${dir}`,
    email: sql`m.owner_email ${dir}`,
    // The catalog's order (FREE, TRIAL, BASIC, …), not the alphabet's.
    plan: sql`array_position(array[${planOrder}]::text[], m.plan) ${dir}`,
    usage: sql`m.usage_bp ${dir} nulls last`,
  }[sort];
  // The account id breaks ties, so pages never overlap or skip rows between equal keys.
  return sql`${key}, m.id asc`;
}

/**
 * The operator console's customer list: one statement over accounts ⨝ subscriptions ⨝ the owner (the
 * user who created the account) ⨝ the usage period in force ⨝ spend settings, filtered, sorted and
 * paged in PostgreSQL, with the count of every matching row.
 *
 * The period in force is the account's usage_periods row containing `now`: the paid period Stripe
 * stored (subscriptions.current_period_start) when the status isn't a Free fallback, else the trial
 * window, else the newest one containing `now`. Without a row (no run yet this period) `used` is 0 and
 * the limit is the override's or the plan's. The list is an overview: the account's detail (its
 * balance) is computed by the entitlement rules themselves.
 */
export async function searchCustomers(
  db: Database,
  filter: CustomerSearchFilter,
): Promise<{ total: number; rows: CustomerSearchRow[] }> {
  const now = filter.now.toISOString();
  const fallback = sql.join(
    FREE_FALLBACK_STATUSES.map((status) => sql`${status}`),
    sql`, `,
  );
  const conditions: SQL[] = [];
  const query = filter.query?.trim() ?? '';
  if (query !== '') {
    const pattern = `%${escapeLike(query.toLowerCase())}%`;
    const byText = sql`(m.owner_email ilike ${pattern} escape '\\' or m.name ilike ${pattern} escape '\\')`;
    conditions.push(isUuid(query) ? sql`(m.id = ${query.toLowerCase()}::uuid or ${byText})` : byText);
  }
  if (filter.plans && filter.plans.length > 0) {
    conditions.push(sql`m.plan = any(${sql.param([...filter.plans])}::text[])`);
  }
  if (filter.statuses && filter.statuses.length > 0) {
    conditions.push(sql`m.status = any(${sql.param([...filter.statuses])}::text[])`);
  }
  if (filter.pastDueOnly) conditions.push(sql`m.status = 'past_due'`);
  if (filter.nearLimitOnly)
    conditions.push(sql`m.run_limit > 0 and m.used::bigint * 10 >= m.run_limit::bigint * 8`);
  if (filter.overageOnly) conditions.push(sql`m.overage_enabled`);
  const where = conditions.length > 0 ? sql.join(conditions, sql` and `) : sql`true`;
  const rows = await queryRows<RawRow>(
    db,
    sql`
      with matched as (
        select * from (
          select a.id, a.kind, a.name, a.created_at, u.email as owner_email, s.plan, s.status,
            coalesce(p.used, 0) as used,
            coalesce(p.run_limit, o.run_limit, ${planLimitCase()}) as run_limit,
            coalesce(ss.overage_enabled, false) as overage_enabled
          from accounts a
          join subscriptions s on s.account_id = a.id
          join users u on u.id = a.created_by_user_id
          left join account_overrides o on o.account_id = a.id
          left join account_spend_settings ss on ss.account_id = a.id
          left join lateral (
            select up.used, up.run_limit from usage_periods up
            where up.account_id = a.id
              and up.period_start <= ${now}::timestamptz and up.period_end > ${now}::timestamptz
            order by
              coalesce(up.period_start = s.current_period_start and s.plan not in ('FREE', 'TRIAL')
                and s.status not in (${fallback}), false) desc,
              coalesce(up.period_start = coalesce(o.trial_start, s.trial_start), false) desc,
              up.period_start desc
            limit 1
          ) p on true
        ) base
      ), filtered as (
        select m.*,
          case when m.run_limit > 0 then (m.used::bigint * 10000 / m.run_limit)::bigint end as usage_bp
        from matched m where ${where}
      )
      select (select count(*) from filtered) as total, page.*
      from (select 1) as one
      left join lateral (
        select m.* from filtered m order by ${orderBy(filter.sort, filter.direction)}
        limit ${filter.limit} offset ${filter.offset}
      ) page on true`,
  );
  const total = Number(rows[0]?.total ?? 0);
  return {
    total,
    rows: rows.flatMap((row) => (row.id === null ? [] : [toSearchRow(row, row.id)])),
  };
}

function toSearchRow(row: RawRow, id: string): CustomerSearchRow {
  return {
    accountId: id,
    kind: row.kind,
    name: row.name,
    ownerEmail: row.owner_email ?? '',
    plan: row.plan,
    status: row.status,
    isPastDue: row.status === 'past_due',
    used: Number(row.used),
    limit: Number(row.run_limit),
    usageBasisPoints: row.usage_bp === null ? null : Number(row.usage_bp),
    overageEnabled: row.overage_enabled,
    createdAt: dateOfRow(row.created_at),
  };
}
