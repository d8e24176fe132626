import { and, desc, eq, gt, gte, isNotNull, lte, or } from 'drizzle-orm';
import type { Database } from '../database';
import { accountOverrides, notifications, subscriptions } from '../schema';

/**
 * Accounts the reminder clock may owe a notice: trials ending within `trialHorizon` (the account's own,
 * or a window an operator extended or restarted), and every past_due subscription (dunning). Read
 * without locks; each candidate is re-checked under its row lock.
 */
export async function listReminderCandidates(
  db: Database,
  now: Date,
  trialHorizon: Date,
): Promise<{ accountId: string }[]> {
  return db
    .select({ accountId: subscriptions.accountId })
    .from(subscriptions)
    .leftJoin(accountOverrides, eq(accountOverrides.accountId, subscriptions.accountId))
    .where(
      or(
        and(
          eq(subscriptions.status, 'trialing'),
          isNotNull(subscriptions.trialEnd),
          gt(subscriptions.trialEnd, now),
          lte(subscriptions.trialEnd, trialHorizon),
        ),
        and(gt(accountOverrides.trialEnd, now), lte(accountOverrides.trialEnd, trialHorizon)),
        and(eq(subscriptions.status, 'past_due'), isNotNull(subscriptions.pastDueSince)),
      ),
    )
    .orderBy(subscriptions.accountId);
}

/**
 * The facts of the account's newest notification of `kind` (e.g. the failed invoice's amount), made at
 * `since` or later when given (an earlier episode's facts are not this one's).
 */
export async function latestNotificationData(
  db: Database,
  accountId: string,
  kind: string,
  since?: Date,
): Promise<Record<string, unknown> | null> {
  const [row] = await db
    .select({ data: notifications.data })
    .from(notifications)
    .where(
      and(
        eq(notifications.accountId, accountId),
        eq(notifications.kind, kind),
        since ? gte(notifications.createdAt, since) : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt))
    .limit(1);
  return row?.data ?? null;
}
