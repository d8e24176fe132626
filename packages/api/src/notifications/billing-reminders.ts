import {
  getAccountOverrides,
  latestNotificationData,
  listReminderCandidates,
  lockSubscriptionRow,
  toSubscriptionState,
  type Database,
} from '@tollgate/db';
import {
  getPlan,
  MS_PER_DAY,
  resolveEntitlement,
  withTrialOverride,
  type SubscriptionState,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { billingLinks, displayAccountName, trialEndingNotice, type AccountContext } from './billing-notices';
import { notify, type NotificationEvent } from './notifier';

/** Days after a failed renewal when reminders go out (day 0 is the payment-failed email itself). */
export const DEFAULT_DUNNING_DAYS: readonly number[] = [0, 3, 6];

/**
 * How long before an episode's pastDueSince its payment-failed notice may have been made: the
 * invoice's event can be applied before the subscription's (which stamps pastDueSince), hours before
 * when the latter is retried. An older notice is an earlier episode's, whose amount is not this one's.
 */
const FAILURE_NOTICE_LEAD_MS = MS_PER_DAY;

/**
 * The notices owed by the passing of time rather than by an event: trial endings (3 days and 1 day
 * before, for Tollgate's own trial and Stripe's), dunning reminders while a payment is past due, and
 * the last notice when the grace period ends (the account then has Free entitlements until the card is
 * updated). Run periodically; every notice has a unique key, so running it often, late, or in several
 * processes at once sends each one once. Each account is re-checked under its row lock, so a reminder
 * never goes out after the payment recovered.
 */
export function createBillingReminders(deps: ApiDeps, dunningDays: readonly number[] = DEFAULT_DUNNING_DAYS) {
  const { db, now, config } = deps;

  function dueNotices(
    context: AccountContext,
    state: SubscriptionState,
    lastFailure: Record<string, unknown> | null,
  ) {
    const at = context.now;
    const notices: NotificationEvent[] = [];
    if (state.status === 'trialing' && state.trialEnd && state.trialEnd > at) {
      const daysLeft = (state.trialEnd.getTime() - at.getTime()) / MS_PER_DAY;
      if (daysLeft <= 1) notices.push(trialEndingNotice(context, state.trialEnd, 1));
      else if (daysLeft <= 3) notices.push(trialEndingNotice(context, state.trialEnd, 3));
    }
    if (state.status === 'past_due' && state.pastDueSince) {
      notices.push(...dunningNotices(context, state, state.pastDueSince, lastFailure));
    }
    return notices;
  }

  function dunningNotices(
    context: AccountContext,
    state: SubscriptionState,
    since: Date,
    lastFailure: Record<string, unknown> | null,
  ): NotificationEvent[] {
    const { accountId, accountName } = context;
    const entitlement = resolveEntitlement(state, context.now, { graceDays: context.graceDays });
    const graceEndsAt = entitlement.graceEndsAt;
    const planName = getPlan(state.plan).name;
    const { portalUrl } = billingLinks(context.appUrl);
    const audience = { to: 'billing-admins', accountId } as const;
    const episode = since.toISOString();
    if (graceEndsAt && context.now >= graceEndsAt) {
      return [
        {
          email: { kind: 'grace_ended', accountName, planName, portalUrl },
          accountId,
          key: episode,
          audience,
        },
      ];
    }
    if (!graceEndsAt) return [];
    const daysSince = Math.floor((context.now.getTime() - since.getTime()) / MS_PER_DAY);
    // The latest reminder day reached, inside the grace period (the last notice replaces later ones).
    const day = [...dunningDays]
      .filter((d) => d > 0 && d <= daysSince && since.getTime() + d * MS_PER_DAY < graceEndsAt.getTime())
      .at(-1);
    if (day === undefined) return [];
    const amountDue = typeof lastFailure?.['amountDue'] === 'number' ? lastFailure['amountDue'] : null;
    const currency = typeof lastFailure?.['currency'] === 'string' ? lastFailure['currency'] : 'usd';
    return [
      {
        email: {
          kind: 'dunning_reminder',
          accountName,
          planName,
          amountDue,
          currency,
          portalUrl,
          graceEndsAt,
          daysSinceFailure: day,
        },
        accountId,
        key: `${episode}:${day}`,
        audience,
      },
    ];
  }

  async function remindAccount(tx: Database, accountId: string): Promise<number> {
    const locked = await lockSubscriptionRow(tx, accountId);
    if (!locked) return 0;
    const { row, basics } = locked;
    // A trial an operator extended or restarted ends when the override says (as the entitlement reads it).
    const overrides = await getAccountOverrides(tx, accountId);
    const own = toSubscriptionState(row, basics);
    const state = overrides ? withTrialOverride(own, overrides) : own;
    const context: AccountContext = {
      accountId,
      accountName: displayAccountName(basics.name),
      appUrl: config.appUrl,
      graceDays: config.paymentGraceDays,
      now: now(),
    };
    const lastFailure =
      state.status === 'past_due' && state.pastDueSince
        ? await latestNotificationData(
            tx,
            accountId,
            'payment_failed',
            new Date(state.pastDueSince.getTime() - FAILURE_NOTICE_LEAD_MS),
          )
        : null;
    const notices = dueNotices(context, state, lastFailure);
    for (const notice of notices) await notify(tx, notice, context.now);
    return notices.length;
  }

  /**
   * One pass over every account that may be owed a notice. Returns how many notices were considered.
   * An account whose notices fail (its transaction rolled back: nothing of it is kept) is logged and
   * tried again on the next pass; the accounts after it still get theirs.
   */
  async function runOnce(): Promise<number> {
    const at = now();
    const candidates = await listReminderCandidates(db, at, new Date(at.getTime() + 3 * MS_PER_DAY));
    let considered = 0;
    for (const { accountId } of candidates) {
      try {
        considered += await db.transaction((tx) => remindAccount(tx, accountId));
      } catch (error) {
        deps.logger.warn('billing reminders of an account failed; tried again on the next pass', {
          accountId,
          error: String(error),
        });
      }
    }
    return considered;
  }

  return { runOnce };
}

export type BillingReminders = ReturnType<typeof createBillingReminders>;
