import type Stripe from 'stripe';
import { nextPeriodEnd } from '../clock';
import type { EmulatorContext } from '../context';
import { momentAt } from '../context';
import { invalidRequest } from '../errors';
import { priceInterval } from '../objects/price';
import { firstItem } from '../objects/subscription';
import { createSubscriptionInvoice } from './invoicing';
import { subscriptionOfInvoice } from './lookups';
import { attemptInvoicePayment } from './payments';
import { pendingItemsOf } from './prorations';
import { cancelSubscription, updateSubscription } from './subscription-updates';

const TRIAL_WILL_END_NOTICE_SECONDS = 3 * 86_400;
// a runaway guard: even a decade of monthly renewals for many subscriptions stays far below it
const MAX_ACTIONS_PER_RUN = 100_000;

type DueAction =
  | { at: number; rank: 0; kind: 'retry'; invoice: Stripe.Invoice }
  | { at: number; rank: 1; kind: 'trial_will_end'; subscription: Stripe.Subscription }
  | { at: number; rank: 2; kind: 'period_end'; subscription: Stripe.Subscription };

/** Subscriptions whose periods keep rolling. unpaid ones stop until their open invoice is paid. */
function isCycling(subscription: Stripe.Subscription): boolean {
  return ['active', 'trialing', 'past_due'].includes(subscription.status);
}

function dueActions(ctx: EmulatorContext, until: number): DueAction[] {
  const actions: DueAction[] = [];
  for (const invoice of ctx.store.invoices.values()) {
    const at = invoice.next_payment_attempt;
    if (invoice.status !== 'open' || at === null || at > until) continue;
    const subscription = subscriptionOfInvoice(ctx, invoice);
    if (subscription && subscription.status !== 'canceled')
      actions.push({ at, rank: 0, kind: 'retry', invoice });
  }
  for (const subscription of ctx.store.subscriptions.values()) {
    if (!isCycling(subscription)) continue;
    const extras = ctx.store.subscriptionExtras.get(subscription.id);
    const trialEnd = subscription.trial_end;
    if (subscription.status === 'trialing' && trialEnd !== null && extras && !extras.hasSentTrialWillEnd) {
      const at = Math.max(trialEnd - TRIAL_WILL_END_NOTICE_SECONDS, subscription.created);
      if (at <= until) actions.push({ at, rank: 1, kind: 'trial_will_end', subscription });
    }
    const periodEnd = firstItem(subscription).current_period_end;
    if (periodEnd <= until) actions.push({ at: periodEnd, rank: 2, kind: 'period_end', subscription });
  }
  return actions;
}

function earliest(actions: DueAction[]): DueAction | undefined {
  return [...actions].sort((a, b) => a.at - b.at || a.rank - b.rank)[0];
}

/**
 * Runs, in time order, everything scheduled up to `until`: payment retries, trial_will_end notices and
 * period ends (renewal, or the cancellation requested for the period end). Each effect is stamped
 * with its own scheduled time, not with `until`.
 */
export function processDue(ctx: EmulatorContext, until: number): void {
  for (let count = 0; count < MAX_ACTIONS_PER_RUN; count += 1) {
    const action = earliest(dueActions(ctx, until));
    if (!action) return;
    perform(ctx, action);
  }
  throw new Error('processDue: too many scheduled actions; is a period end stuck?');
}

function perform(ctx: EmulatorContext, action: DueAction): void {
  const moment = momentAt(action.at);
  if (action.kind === 'retry') {
    attemptInvoicePayment(ctx, action.invoice, moment, 'automatic');
    return;
  }
  if (action.kind === 'trial_will_end') {
    const extras = ctx.store.subscriptionExtras.get(action.subscription.id);
    if (extras) extras.hasSentTrialWillEnd = true;
    ctx.events.emit('customer.subscription.trial_will_end', action.subscription, moment);
    return;
  }
  if (action.subscription.cancel_at_period_end) {
    cancelSubscription(ctx, action.subscription, moment, 'cancellation_requested');
    return;
  }
  renew(ctx, action.subscription, action.at);
}

function renew(ctx: EmulatorContext, subscription: Stripe.Subscription, at: number): void {
  const moment = momentAt(at);
  const item = firstItem(subscription);
  const oldStart = item.current_period_start;
  const oldEnd = item.current_period_end;
  const { interval, count } = priceInterval(item.price);
  const newEnd = nextPeriodEnd(subscription.billing_cycle_anchor, oldEnd, interval, count);
  let invoice: Stripe.Invoice | undefined;
  updateSubscription(ctx, subscription, moment, (sub) => {
    const current = firstItem(sub);
    current.current_period_start = oldEnd;
    current.current_period_end = newEnd;
    if (sub.status === 'trialing') sub.status = 'active';
    invoice = createSubscriptionInvoice(
      ctx,
      sub,
      {
        billingReason: 'subscription_cycle',
        periodStart: oldStart,
        periodEnd: oldEnd,
        cycle: {
          amount: (current.price.unit_amount ?? 0) * (current.quantity ?? 1),
          period: { start: oldEnd, end: newEnd },
        },
        // proration items of changes made during the period that just ended
        invoiceItems: pendingItemsOf(ctx, sub.id),
      },
      moment,
    );
  });
  if (invoice) attemptInvoicePayment(ctx, invoice, moment, 'automatic');
}

/** Moves the emulator clock forward, carrying out everything that falls due on the way. */
export function advanceClock(ctx: EmulatorContext, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw invalidRequest('seconds must be a non-negative number', 'seconds');
  }
  const target = ctx.clock.nowSeconds() + Math.floor(seconds);
  processDue(ctx, target);
  ctx.clock.moveTo(target);
}
