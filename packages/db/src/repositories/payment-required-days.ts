import type { PlanId } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { paymentRequiredDays } from '../schema';

export interface PaymentRequiredEntry {
  accountId: string;
  plan: PlanId;
  /** The 402's code (USAGE_LIMIT_REACHED, SPEND_CAP_REACHED, …). */
  code: string;
  /** The refused run's id: a refusal counts once per account, run id and UTC day. */
  runId: string;
  at: Date;
}

/** A refusal prunes at most this many of its account's old run ids (bounded work on the 402 path). */
const PRUNE_PER_REFUSAL = 100;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Counts one authorization answered 402 on its account's UTC day, once per run id: the same refused
 * run id asked again that day (a client retrying it) counts nothing more, as a granted run counts once
 * per run id (its ledger row). ONE statement: the run id is inserted into `payment_required_runs`
 * (on conflict do nothing), and the day's counter is upserted only from the row that insert returned;
 * of concurrent refusals of one run id, one inserts and counts. The counter row keeps the first count's
 * plan and code (a repeat answered with another code adds nothing). The same statement prunes up to
 * {@link PRUNE_PER_REFUSAL} of the account's run ids from before yesterday (yesterday's stay: a replica
 * whose clock is a little behind still finds the keys of the day it thinks it is).
 * Returns whether this refusal was counted (false: a repeat).
 */
export async function recordPaymentRequired(db: Database, entry: PaymentRequiredEntry): Promise<boolean> {
  const day = entry.at.toISOString().slice(0, 10);
  const pruneBefore = new Date(Date.parse(day) - DAY_MS).toISOString().slice(0, 10);
  const at = entry.at.toISOString();
  const rows = await queryRows<{ counted: number }>(
    db,
    sql`
    with pruned as (
      delete from payment_required_runs
      where account_id = ${entry.accountId}
        and (day, run_id) in (
          select o.day, o.run_id from payment_required_runs o
          where o.account_id = ${entry.accountId} and o.day < ${pruneBefore}::date
          limit ${PRUNE_PER_REFUSAL}
        )
    ),
    first_refusal as (
      insert into payment_required_runs (account_id, day, run_id)
      values (${entry.accountId}, ${day}::date, ${entry.runId})
      on conflict do nothing
      returning account_id, day
    )
    insert into payment_required_days (account_id, day, plan, code, denials, first_at, last_at)
    select f.account_id, f.day, ${entry.plan}, ${entry.code}, 1, ${at}::timestamptz, ${at}::timestamptz
    from first_refusal f
    on conflict (account_id, day, plan, code) do update set
      denials = payment_required_days.denials + 1,
      first_at = least(payment_required_days.first_at, excluded.first_at),
      last_at = greatest(payment_required_days.last_at, excluded.last_at)
    returning 1 as counted`,
  );
  return rows.length > 0;
}

export type PaymentRequiredDay = typeof paymentRequiredDays.$inferSelect;

/** Every day's count, oldest first (one account's when given). */
export async function listPaymentRequiredDays(
  db: Database,
  accountId?: string,
): Promise<PaymentRequiredDay[]> {
  return db
    .select()
    .from(paymentRequiredDays)
    .where(accountId === undefined ? undefined : sql`${paymentRequiredDays.accountId} = ${accountId}`)
    .orderBy(paymentRequiredDays.day);
}
