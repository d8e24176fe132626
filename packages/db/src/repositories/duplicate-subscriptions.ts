import type { PlanId } from '@tollgate/domain';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryPreparedRows } from '../raw-query';
import { tableRows } from '../table-rows';
import { accounts, duplicateSubscriptions, users } from '../schema';
import type { DuplicateSubscriptionRow } from '../schema';

export interface RecordDuplicateInput {
  accountId: string;
  keptStripeSubscriptionId: string;
  canceledStripeSubscriptionId: string;
  canceledPlan: PlanId | null;
  detectedAt: Date;
}

/**
 * Records a second live subscription once: replays and concurrent syncs of the same subscription insert
 * nothing (the canceled id is unique). true when this call recorded it.
 */
export async function recordDuplicateSubscription(
  db: Database,
  input: RecordDuplicateInput,
): Promise<boolean> {
  const inserted = await db
    .insert(duplicateSubscriptions)
    .values(input)
    .onConflictDoNothing({ target: duplicateSubscriptions.canceledStripeSubscriptionId })
    .returning({ id: duplicateSubscriptions.id });
  return inserted.length > 0;
}

/** Every duplicate recorded for the account (a handful at most), canceled or not. */
export async function listDuplicateSubscriptionsOfAccount(
  db: Database,
  accountId: string,
): Promise<DuplicateSubscriptionRow[]> {
  // Raw and prepared: every subscription webhook reads it under the account's lock (see tableRows).
  const rows = await queryPreparedRows(
    db,
    sql`select ${DUPLICATE.columns} from duplicate_subscriptions d where d.account_id = ${accountId}`,
  );
  return rows.map(DUPLICATE.rowOf);
}

const DUPLICATE = tableRows(duplicateSubscriptions, 'd');

/**
 * Stripe confirmed the cancellation: records it with what the customer paid for the subscription.
 * Conditional, so a second worker finishing the same cancellation changes nothing. true when it did.
 */
export async function markDuplicateCanceled(
  db: Database,
  canceledStripeSubscriptionId: string,
  input: { amountOwed: number; currency: string | null; canceledAt: Date },
): Promise<boolean> {
  const updated = await db
    .update(duplicateSubscriptions)
    .set({ ...input, lastError: null })
    .where(
      and(
        eq(duplicateSubscriptions.canceledStripeSubscriptionId, canceledStripeSubscriptionId),
        isNull(duplicateSubscriptions.canceledAt),
      ),
    )
    .returning({ id: duplicateSubscriptions.id });
  return updated.length > 0;
}

/** The cancellation failed: keeps the error for operators; the next sync of the account retries. */
export async function recordDuplicateError(
  db: Database,
  canceledStripeSubscriptionId: string,
  error: string,
): Promise<void> {
  await db
    .update(duplicateSubscriptions)
    .set({ lastError: error.slice(0, 2000) })
    .where(
      and(
        eq(duplicateSubscriptions.canceledStripeSubscriptionId, canceledStripeSubscriptionId),
        isNull(duplicateSubscriptions.canceledAt),
      ),
    );
}

/** For operators: every duplicate with the account's email, newest first. */
export async function listDuplicateSubscriptions(db: Database) {
  return db
    .select({
      accountId: duplicateSubscriptions.accountId,
      /** The account's creator (on a personal account, its user). */
      userId: accounts.createdByUserId,
      email: users.email,
      keptStripeSubscriptionId: duplicateSubscriptions.keptStripeSubscriptionId,
      canceledStripeSubscriptionId: duplicateSubscriptions.canceledStripeSubscriptionId,
      canceledPlan: duplicateSubscriptions.canceledPlan,
      amountOwed: duplicateSubscriptions.amountOwed,
      currency: duplicateSubscriptions.currency,
      detectedAt: duplicateSubscriptions.detectedAt,
      canceledAt: duplicateSubscriptions.canceledAt,
      lastError: duplicateSubscriptions.lastError,
      refundedAt: duplicateSubscriptions.refundedAt,
    })
    .from(duplicateSubscriptions)
    .innerJoin(accounts, eq(accounts.id, duplicateSubscriptions.accountId))
    .innerJoin(users, eq(users.id, accounts.createdByUserId))
    .orderBy(desc(duplicateSubscriptions.detectedAt));
}
