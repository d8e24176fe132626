import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryPreparedRows } from '../raw-query';
import { stripeEvents } from '../schema';
import type { StripeEventRow, WebhookFailureCode } from '../schema';

export interface RecordEventInput {
  id: string;
  type: string;
  stripeCreatedAt: Date;
  objectId?: string | null;
  /** The account it applies to, when known before its transaction (saves setEventAccount). */
  accountId?: string | null;
}

export interface EventFailure {
  code: WebhookFailureCode;
  reason: string;
}

/**
 * true when the event is new. Call it inside the transaction that applies the event's effect: if the
 * effect fails, the event row rolls back with it and Stripe's retry is processed again.
 */
export async function recordEventOnce(db: Database, input: RecordEventInput): Promise<boolean> {
  // Raw and prepared: every webhook delivery runs this, and drizzle's builder spent ~60 µs on it.
  const inserted = await queryPreparedRows(
    db,
    sql`insert into stripe_events (id, type, stripe_created_at, object_id, account_id)
        values (${input.id}, ${input.type}, ${input.stripeCreatedAt}, ${input.objectId ?? null},
          ${input.accountId ?? null})
        on conflict (id) do nothing
        returning id`,
  );
  return inserted.length > 0;
}

/** Whether the event was stored before (applied, ignored or failed): a duplicate delivery. */
export async function isEventRecorded(db: Database, id: string): Promise<boolean> {
  const rows = await queryPreparedRows(db, sql`select 1 as found from stripe_events where id = ${id}`);
  return rows.length > 0;
}

/**
 * Stores an event that can never be applied as delivered, with why, once (a duplicate delivery of it
 * inserts nothing). true when this call stored it.
 */
export async function recordFailedEventOnce(
  db: Database,
  input: RecordEventInput & { failure: EventFailure },
): Promise<boolean> {
  const inserted = await db
    .insert(stripeEvents)
    .values({
      id: input.id,
      type: input.type,
      stripeCreatedAt: input.stripeCreatedAt,
      objectId: input.objectId ?? null,
      failureCode: input.failure.code,
      failureReason: input.failure.reason,
    })
    .onConflictDoNothing({ target: stripeEvents.id })
    .returning({ id: stripeEvents.id });
  return inserted.length > 0;
}

/**
 * Takes a failed event for a replay, inside the transaction that applies it: clears its failure
 * (restored by the rollback if the replay fails) so two replays can't both apply it. false when the
 * event isn't a recorded failure (applied meanwhile, or never received).
 */
export async function claimFailedEvent(db: Database, id: string, now: Date): Promise<boolean> {
  const claimed = await db
    .update(stripeEvents)
    .set({ failureCode: null, failureReason: null, replayedAt: now })
    .where(and(eq(stripeEvents.id, id), isNotNull(stripeEvents.failureCode)))
    .returning({ id: stripeEvents.id });
  return claimed.length > 0;
}

/** A replay failed again, for a reason that can't pass either: the event stays listed with it. */
export async function recordEventFailure(
  db: Database,
  id: string,
  failure: EventFailure,
  now: Date,
): Promise<void> {
  await db
    .update(stripeEvents)
    .set({ failureCode: failure.code, failureReason: failure.reason, replayedAt: now })
    .where(eq(stripeEvents.id, id));
}

export async function getStripeEvent(db: Database, id: string): Promise<StripeEventRow | null> {
  const [row] = await db.select().from(stripeEvents).where(eq(stripeEvents.id, id));
  return row ?? null;
}

/** Events recorded as permanent failures, newest first, for operators (admin.failedWebhooks). */
export async function listFailedEvents(db: Database, limit = 500): Promise<StripeEventRow[]> {
  return db
    .select()
    .from(stripeEvents)
    .where(isNotNull(stripeEvents.failureCode))
    .orderBy(desc(stripeEvents.receivedAt))
    .limit(limit);
}

/** Names the account an event was applied to (in the transaction that applied it), for its timeline. */
export async function setEventAccount(db: Database, id: string, accountId: string): Promise<void> {
  await db.update(stripeEvents).set({ accountId }).where(eq(stripeEvents.id, id));
}
