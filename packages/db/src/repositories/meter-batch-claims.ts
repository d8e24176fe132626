import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Database } from '../database';
import { isLeaseLive, isLeaseOver, leaseEndsAfter } from '../lease-clock';
import { queryRows } from '../raw-query';
import { meterBatches } from '../schema';
import type { MeterBatchKind, MeterBatchRow } from '../schema';
import { iso, METER_BATCH_MAX_AGE_MS, toDate } from './meter-periods';

/** A claimed batch: what to send, and `attempts`, the fence for renewing and finishing this claim. */
export type ClaimedMeterBatch = Pick<
  MeterBatchRow,
  | 'accountId'
  | 'id'
  | 'periodId'
  | 'kind'
  | 'value'
  | 'stripeCustomerId'
  | 'eventName'
  | 'eventAt'
  | 'createdAt'
  | 'attempts'
>;

// Leases are on the database's clock (see lease-clock); due times and the 23-hour mark on the app's
// (batches are stamped with it; the hour before Stripe forgets an identifier covers the skew).

/**
 * Claims due batches for `leaseMs`, at most ONE per account: only an account's oldest pending batch can be
 * claimed, and none while another of its batches holds a live lease (Stripe allows one concurrent meter
 * event per customer and meter; an older batch also reaches Stripe first). Claimers skip rows another
 * claimer has locked; the lease and attempt are committed before anything is sent. A batch past the 23-hour
 * mark is never claimed. `ignoreBackoff` (an invoice is about to be finalized) claims it even if it waits.
 */
export async function claimDueMeterBatches(
  db: Database,
  options: { now: Date; limit: number; leaseMs: number; accountId?: string; ignoreBackoff?: boolean },
): Promise<ClaimedMeterBatch[]> {
  const { now } = options;
  const onlyAccount = options.accountId ? sql`and c.account_id = ${options.accountId}` : sql``;
  const due = options.ignoreBackoff ? sql`` : sql`and c.next_attempt_at <= ${iso(now)}`;
  const rows = await queryRows<{
    account_id: string;
    id: string;
    period_id: string;
    kind: MeterBatchKind;
    value: number;
    stripe_customer_id: string;
    event_name: string;
    event_at: Date | string;
    created_at: Date | string;
    attempts: number;
  }>(
    db,
    sql`update meter_batches b
        set lease_until = ${leaseEndsAfter(options.leaseMs)}, attempts = b.attempts + 1
        from (
          select c.account_id, c.id from meter_batches c
          where c.status = 'pending' ${due} ${onlyAccount}
            and c.created_at > ${iso(new Date(now.getTime() - METER_BATCH_MAX_AGE_MS))}
            and ${isLeaseOver(sql`c.lease_until`)}
            and not exists (
              select 1 from meter_batches o
              where o.account_id = c.account_id and o.status = 'pending' and o.id <> c.id
                and (o.created_at < c.created_at or (o.created_at = c.created_at and o.id < c.id)
                  or ${isLeaseLive(sql`o.lease_until`)}))
          order by c.next_attempt_at, c.created_at
          limit ${options.limit}
          for update of c skip locked) picked
        where b.account_id = picked.account_id and b.id = picked.id
        returning b.account_id, b.id, b.period_id, b.kind, b.value, b.stripe_customer_id, b.event_name,
          b.event_at, b.created_at, b.attempts`,
  );
  // What the claim itself wrote (attempts is the fence), not a later read another claim may have changed.
  return rows
    .map((row) => ({
      accountId: row.account_id,
      id: row.id,
      periodId: row.period_id,
      kind: row.kind,
      value: Number(row.value),
      stripeCustomerId: row.stripe_customer_id,
      eventName: row.event_name,
      eventAt: toDate(row.event_at),
      createdAt: toDate(row.created_at),
      attempts: Number(row.attempts),
    }))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

type ClaimRef = Pick<ClaimedMeterBatch, 'accountId' | 'id' | 'attempts'>;

const claimFence = (claim: ClaimRef) =>
  and(
    eq(meterBatches.accountId, claim.accountId),
    eq(meterBatches.id, claim.id),
    eq(meterBatches.attempts, claim.attempts),
    eq(meterBatches.status, 'pending'),
  );

/**
 * Renews a claim's lease for `leaseMs` right before its send, fenced by the attempt: false when the claim
 * was lost (its lease ran out, on the database's clock, and another claimer took the batch) or the batch
 * reached the 23-hour mark by `now` (the app's clock): don't send.
 */
export async function renewMeterBatchLease(
  db: Database,
  claim: ClaimRef,
  options: { leaseMs: number; now: Date },
): Promise<boolean> {
  const rows = await db
    .update(meterBatches)
    .set({ leaseUntil: leaseEndsAfter(options.leaseMs) })
    .where(
      and(
        claimFence(claim),
        isLeaseLive(meterBatches.leaseUntil),
        gt(meterBatches.createdAt, new Date(options.now.getTime() - METER_BATCH_MAX_AGE_MS)),
      ),
    )
    .returning({ id: meterBatches.id });
  return rows.length > 0;
}

export type MeterBatchOutcome =
  | { status: 'delivered'; at: Date }
  | { status: 'retry'; nextAttemptAt: Date; error: string }
  /** Stripe refused it for good: logged by the caller, repaired (or reported) by the reconciliation. */
  | { status: 'abandoned'; error: string };

/** Records a claimed attempt's outcome, fenced by the attempt: a lost claim can't overwrite a newer one. */
export async function finishMeterBatchAttempt(
  db: Database,
  claim: ClaimRef,
  outcome: MeterBatchOutcome,
): Promise<boolean> {
  const changes =
    outcome.status === 'delivered'
      ? { status: 'delivered' as const, deliveredAt: outcome.at, leaseUntil: null }
      : outcome.status === 'retry'
        ? { leaseUntil: null, nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error }
        : { status: 'abandoned' as const, leaseUntil: null, lastError: outcome.error };
  const rows = await db
    .update(meterBatches)
    .set(changes)
    .where(claimFence(claim))
    .returning({ id: meterBatches.id });
  return rows.length > 0;
}

/**
 * The 23-hour rule: pending batches made 23 hours ago or earlier (by `now`, the app's clock) and not under
 * a live lease (the database's clock) become
 * `abandoned`, never resent (Stripe would no longer recognise the identifier and count them twice).
 * Returns them, for the log; the reconciliation repairs what did not reach Stripe.
 */
export async function abandonExpiredMeterBatches(db: Database, now: Date): Promise<MeterBatchRow[]> {
  return db
    .update(meterBatches)
    .set({
      status: 'abandoned',
      leaseUntil: null,
      lastError: sql`coalesce(${meterBatches.lastError} || '; ', '') || 'not delivered within 23 hours: never resent'`,
    })
    .where(
      and(
        eq(meterBatches.status, 'pending'),
        sql`${meterBatches.createdAt} <= ${iso(new Date(now.getTime() - METER_BATCH_MAX_AGE_MS))}`,
        isLeaseOver(meterBatches.leaseUntil),
      ),
    )
    .returning();
}

export async function listMeterBatches(
  db: Database,
  filter: { accountId?: string; periodId?: string; periodIds?: string[]; ids?: string[] } = {},
): Promise<MeterBatchRow[]> {
  const conditions: SQL[] = [];
  if (filter.accountId) conditions.push(eq(meterBatches.accountId, filter.accountId));
  if (filter.periodId) conditions.push(eq(meterBatches.periodId, filter.periodId));
  if (filter.periodIds) conditions.push(inArray(meterBatches.periodId, filter.periodIds));
  if (filter.ids) conditions.push(inArray(meterBatches.id, filter.ids));
  return db
    .select()
    .from(meterBatches)
    .where(and(...conditions))
    .orderBy(asc(meterBatches.createdAt), asc(meterBatches.id));
}

/**
 * Whether the account has a batch not yet delivered (pending: due, in back-off, or held by another
 * sender's lease): what an imminent final invoice would miss.
 */
export async function hasPendingMeterBatches(db: Database, accountId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: meterBatches.id })
    .from(meterBatches)
    .where(and(eq(meterBatches.accountId, accountId), eq(meterBatches.status, 'pending')))
    .limit(1);
  return row !== undefined;
}
