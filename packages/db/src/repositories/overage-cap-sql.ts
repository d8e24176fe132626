import { sql, type SQL } from 'drizzle-orm';

/** Overage room of an account without a spend cap (more than any period can hold; sums are bigint). */
export const NO_CAP = sql.raw('1000000000');

/**
 * The overage cap in runs of an `account_spend_settings` row (the stricter of the account's and the
 * operator's; null = no cap), a money cap being ⌊cents ÷ price⌋ (numeric: exact). Settings refuse a
 * price of 0; here it would divide by zero, so such a money cap caps nothing, and a money cap over a
 * tiny price is held to NO_CAP rather than overflow an int. One text for the reservation statement and
 * a settle's overrun, so the two can't disagree on a cap.
 */
export function overageCapRuns(settings: string, price: SQL): SQL {
  const s = sql.raw(settings);
  return sql`least(
          coalesce(${s}.cap_runs, case when ${s}.cap_cents is not null and ${price} > 0
            then least(floor(${s}.cap_cents / ${price}), ${NO_CAP})::int end),
          coalesce(${s}.operator_cap_runs, case when ${s}.operator_cap_cents is not null and ${price} > 0
            then least(floor(${s}.operator_cap_cents / ${price}), ${NO_CAP})::int end)
        )`;
}

/**
 * The `subscriptions` row `alias` bills overage: its stored subscription carries the metered item
 * (overage_item_subscription_id). Without it runs past the allowance would reach the meter and be
 * billed by no invoice. One text for the reservation statement and a settle's overrun.
 */
export function overageBillable(alias: string): SQL {
  const s = sql.raw(alias);
  return sql`${s}.overage_item_subscription_id = ${s}.stripe_subscription_id`;
}
