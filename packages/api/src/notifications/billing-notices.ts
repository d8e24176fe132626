import {
  getPlan,
  resolveEntitlement,
  type StripeInvoiceSnapshot,
  type SubscriptionState,
} from '@tollgate/domain';
import type { NotificationEvent } from './notifier';

/** What every billing notice about one account needs. */
export interface AccountContext {
  accountId: string;
  /** Shown in emails: the team's name, or "your personal account". */
  accountName: string;
  appUrl: string;
  graceDays: number;
  now: Date;
}

/** How emails name an account: a team by its name; a personal account has none. */
export function displayAccountName(name: string | null | undefined): string {
  return name ?? 'your personal account';
}

const PAID_STATUSES = new Set(['active', 'trialing', 'past_due']);

/** Where billing emails send people: the settings page (its portal button opens a fresh session). */
export function billingLinks(appUrl: string) {
  const settingsUrl = new URL('/settings/subscription', appUrl).toString();
  return { settingsUrl, portalUrl: settingsUrl, upgradeUrl: settingsUrl };
}

/**
 * Notices a change of the stored subscription calls for, found by comparing the state before and after
 * a Stripe sync under the account's lock. A replayed or late event that changes nothing finds nothing,
 * so each change is announced once whatever the delivery order; the keys make a second announcement of
 * the same change (a reconciliation racing a webhook) collapse into the first.
 */
export function transitionNotices(
  context: AccountContext,
  before: SubscriptionState,
  after: SubscriptionState,
): NotificationEvent[] {
  const { accountId, accountName } = context;
  const links = billingLinks(context.appUrl);
  const subscription = after.stripeSubscriptionId ?? 'none';
  const event = (email: NotificationEvent['email'], key: string): NotificationEvent => ({
    email,
    accountId,
    key,
    audience: { to: 'billing-admins', accountId },
  });
  const notices: NotificationEvent[] = [];
  const planName = getPlan(after.plan).name;

  const startedStripeTrial =
    after.status === 'trialing' && before.status !== 'trialing' && after.trialEnd !== null;
  if (startedStripeTrial && after.trialEnd) {
    notices.push(
      event(
        {
          kind: 'trial_started',
          accountName,
          trialEndsAt: after.trialEnd,
          runs: getPlan(after.plan).runLimit ?? 0,
        },
        subscription,
      ),
    );
  }

  if (before.status === 'past_due' && after.status === 'active' && before.pastDueSince) {
    notices.push(
      event(
        { kind: 'payment_recovered', accountName, planName },
        `${subscription}:${before.pastDueSince.toISOString()}`,
      ),
    );
  }

  const wasPaid = before.plan !== 'FREE' && before.plan !== 'TRIAL' && PAID_STATUSES.has(before.status);
  const isEnded = !PAID_STATUSES.has(after.status);
  if (wasPaid && isEnded && before.stripeSubscriptionId) {
    notices.push(
      event(
        { kind: 'subscription_canceled', accountName, planName: getPlan(before.plan).name },
        before.stripeSubscriptionId,
      ),
    );
  }

  if (!before.cancelAtPeriodEnd && after.cancelAtPeriodEnd && !isEnded && after.currentPeriodEnd) {
    notices.push(
      event(
        {
          kind: 'subscription_will_cancel',
          accountName,
          planName,
          endsAt: after.currentPeriodEnd,
          settingsUrl: links.settingsUrl,
        },
        `${subscription}:${after.currentPeriodEnd.toISOString()}`,
      ),
    );
  }

  const isPlanSwitch =
    wasPaid && !isEnded && before.plan !== after.plan && after.plan !== 'FREE' && after.plan !== 'TRIAL';
  if (isPlanSwitch) {
    const limit = resolveEntitlement(after, context.now, { graceDays: context.graceDays }).limit;
    notices.push(
      event(
        {
          kind: 'plan_changed',
          accountName,
          fromPlan: getPlan(before.plan).name,
          toPlan: planName,
          runsPerPeriod: limit,
        },
        // A later switch back and forth is a new change: the time of this one keeps it apart.
        `${subscription}:${before.plan}->${after.plan}:${context.now.toISOString()}`,
      ),
    );
  }
  return notices;
}

/**
 * Notices an invoice event calls for. The invoice's own facts (amount, link) come from the event; whether
 * they still apply comes from the account's state after the sync: a failure delivered after the account
 * recovered is not announced.
 */
export function invoiceNotices(
  context: AccountContext,
  eventType: string,
  invoice: StripeInvoiceSnapshot,
  after: SubscriptionState,
): NotificationEvent[] {
  const { accountId, accountName } = context;
  const planName = getPlan(after.plan).name;
  const event = (email: NotificationEvent['email']): NotificationEvent => ({
    email,
    accountId,
    key: invoice.id,
    audience: { to: 'billing-admins', accountId },
  });
  const isPaidEvent = eventType === 'invoice.payment_succeeded' || eventType === 'invoice.paid';
  if (isPaidEvent && invoice.amountPaid > 0) {
    return [
      event({
        kind: 'payment_succeeded',
        accountName,
        planName,
        amountPaid: invoice.amountPaid,
        currency: invoice.currency,
        invoiceUrl: invoice.hostedInvoiceUrl,
        invoiceNumber: invoice.number,
      }),
    ];
  }
  const isStillFailing = after.status === 'past_due' || after.status === 'unpaid';
  if (eventType === 'invoice.payment_failed' && isStillFailing) {
    const graceEndsAt = resolveEntitlement(after, context.now, { graceDays: context.graceDays }).graceEndsAt;
    return [
      event({
        kind: 'payment_failed',
        accountName,
        planName,
        amountDue: invoice.amountDue,
        currency: invoice.currency,
        portalUrl: billingLinks(context.appUrl).portalUrl,
        graceEndsAt,
      }),
    ];
  }
  return [];
}

/** Stripe's own notice three days before a trial ends: the same notice our clock sends (same key). */
export function trialWillEndNotice(context: AccountContext, after: SubscriptionState): NotificationEvent[] {
  if (after.status !== 'trialing' || !after.trialEnd || after.trialEnd <= context.now) return [];
  return [trialEndingNotice(context, after.trialEnd, 3)];
}

export function trialEndingNotice(
  context: AccountContext,
  trialEndsAt: Date,
  daysLeft: 1 | 3,
): NotificationEvent {
  return {
    email: {
      kind: 'trial_ending',
      accountName: context.accountName,
      trialEndsAt,
      daysLeft,
      upgradeUrl: billingLinks(context.appUrl).upgradeUrl,
    },
    accountId: context.accountId,
    key: `${trialEndsAt.toISOString()}:${daysLeft}`,
    audience: { to: 'billing-admins', accountId: context.accountId },
  };
}
