import type Stripe from 'stripe';
import { nextPeriodEnd } from '../clock';
import type { EmulatorContext } from '../context';
import { momentAt } from '../context';
import { invalidRequest } from '../errors';
import { priceInterval } from '../objects/price';
import { firstItem } from '../objects/subscription';
import type { DisputeOutcome } from '../store';
import { decideDispute } from './dispute-responses';
import { createDraftSubscriptionInvoice, createSubscriptionInvoice } from './invoicing';
import type { SubscriptionInvoiceInput } from './invoicing';
import { expireIncomplete, incompleteExpiresAt } from './incomplete-expiry';
import { markOverdue, overdueAt } from './invoice-due-dates';
import { subscriptionOfInvoice } from './lookups';
import { attemptInvoicePayment } from './payments';
import { applyItemTerms } from './price-changes';
import { pendingItemsOf } from './prorations';
import { makeReferenceAvailable, referenceDueAt } from './refunds';
import { advanceScheduleAt } from './subscription-schedules';
import { cancelSubscription, updateSubscription } from './subscription-updates';
import { hasMeteredItem, usageCharges } from './usage-billing';
import { FINALIZATION_GRACE_SECONDS, finalizeUsageDraft } from './usage-finalization';

const TRIAL_WILL_END_NOTICE_SECONDS = 3 * 86_400;
// a runaway guard: even a decade of monthly renewals for many subscriptions stays far below it
const MAX_ACTIONS_PER_RUN = 100_000;

type DueAction =
  | { at: number; rank: 0; kind: 'retry'; invoice: Stripe.Invoice }
  | { at: number; rank: 1; kind: 'finalize'; invoice: Stripe.Invoice }
  | { at: number; rank: 2; kind: 'trial_will_end'; subscription: Stripe.Subscription }
  | { at: number; rank: 3; kind: 'period_end'; subscription: Stripe.Subscription }
  | { at: number; rank: 4; kind: 'refund_reference'; refund: Stripe.Refund }
  | { at: number; rank: 5; kind: 'overdue'; invoice: Stripe.Invoice }
  | { at: number; rank: 6; kind: 'expire_incomplete'; subscription: Stripe.Subscription }
  | { at: number; rank: 7; kind: 'dispute_decision'; dispute: Stripe.Dispute; outcome: DisputeOutcome };

/** Subscriptions whose periods keep rolling. unpaid ones stop until their open invoice is paid. */
function isCycling(subscription: Stripe.Subscription): boolean {
  return ['active', 'trialing', 'past_due'].includes(subscription.status);
}

function dueActions(ctx: EmulatorContext, until: number): DueAction[] {
  const actions: DueAction[] = [];
  for (const invoice of ctx.store.invoices.values()) {
    const finalizesAt = invoice.automatically_finalizes_at;
    if (invoice.status === 'draft' && finalizesAt !== null && finalizesAt <= until) {
      actions.push({ at: finalizesAt, rank: 1, kind: 'finalize', invoice });
    }
    const overdue = overdueAt(ctx, invoice);
    if (overdue !== null && overdue <= until)
      actions.push({ at: overdue, rank: 5, kind: 'overdue', invoice });
    const at = invoice.next_payment_attempt;
    if (invoice.status !== 'open' || at === null || at > until) continue;
    const subscription = subscriptionOfInvoice(ctx, invoice);
    if (subscription && subscription.status !== 'canceled')
      actions.push({ at, rank: 0, kind: 'retry', invoice });
  }
  for (const subscription of ctx.store.subscriptions.values()) {
    const expiresAt = incompleteExpiresAt(subscription);
    if (expiresAt !== null && expiresAt <= until)
      actions.push({ at: expiresAt, rank: 6, kind: 'expire_incomplete', subscription });
    if (!isCycling(subscription)) continue;
    const extras = ctx.store.subscriptionExtras.get(subscription.id);
    const trialEnd = subscription.trial_end;
    if (subscription.status === 'trialing' && trialEnd !== null && extras && !extras.hasSentTrialWillEnd) {
      const at = Math.max(trialEnd - TRIAL_WILL_END_NOTICE_SECONDS, subscription.created);
      if (at <= until) actions.push({ at, rank: 2, kind: 'trial_will_end', subscription });
    }
    const periodEnd = firstItem(subscription).current_period_end;
    if (periodEnd <= until) actions.push({ at: periodEnd, rank: 3, kind: 'period_end', subscription });
  }
  for (const refund of ctx.store.refunds.values()) {
    const at = referenceDueAt(refund);
    if (at !== null && at <= until) actions.push({ at, rank: 4, kind: 'refund_reference', refund });
  }
  for (const [disputeId, decision] of ctx.store.disputeDecisions) {
    const dispute = ctx.store.disputes.get(disputeId);
    if (!dispute || decision.at > until) continue;
    actions.push({ at: decision.at, rank: 7, kind: 'dispute_decision', dispute, outcome: decision.outcome });
  }
  return actions;
}

function earliest(actions: DueAction[]): DueAction | undefined {
  return [...actions].sort((a, b) => a.at - b.at || a.rank - b.rank)[0];
}

/**
 * Runs, in time order, everything scheduled up to `until`: payment retries, renewal drafts reaching the
 * end of their grace period, trial_will_end notices, period ends (renewal, or the cancellation requested
 * for the period end), card refunds' reference numbers becoming available, send_invoice invoices
 * falling overdue, incomplete subscriptions expiring and submitted test disputes being decided. Each effect is stamped with its own scheduled time, not with `until`.
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
  if (action.kind === 'finalize') {
    finalizeUsageDraft(ctx, action.invoice, moment);
    return;
  }
  if (action.kind === 'overdue') {
    markOverdue(ctx, action.invoice, moment);
    return;
  }
  if (action.kind === 'expire_incomplete') {
    expireIncomplete(ctx, action.subscription, moment);
    return;
  }
  if (action.kind === 'dispute_decision') {
    decideDispute(ctx, action.dispute, action.outcome, moment);
    return;
  }
  if (action.kind === 'refund_reference') {
    makeReferenceAvailable(ctx, action.refund, moment);
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

/**
 * A renewal of a subscription with a metered item is a draft for Stripe's grace hour (usage of the
 * ended period can still arrive; finalizeUsageDraft bills the latest quantity and charges). Any other
 * renewal is finalized and charged at the period end: real Stripe drafts those for about an hour too,
 * but existing flows and tests (dunning, seat proration, the app's renewal tests) rely on seeing the
 * renewal's outcome at the period end, and without usage nothing can change during that hour.
 */
function renew(ctx: EmulatorContext, subscription: Stripe.Subscription, at: number): void {
  const moment = momentAt(at);
  const item = firstItem(subscription);
  const ended = { start: item.current_period_start, end: item.current_period_end };
  const isDraft = hasMeteredItem(subscription);
  let invoice: Stripe.Invoice | undefined;
  updateSubscription(ctx, subscription, moment, (sub) => {
    // a switch scheduled for this period end (the portal's scheduled downgrade) applies first, so the
    // renewal bills the new price, in the same customer.subscription.updated
    const switched = advanceScheduleAt(ctx, sub, ended.end, moment);
    if (switched) applyItemTerms(sub, switched);
    const current = firstItem(sub);
    const { interval, count } = priceInterval(current.price);
    const next = {
      start: ended.end,
      end: nextPeriodEnd(sub.billing_cycle_anchor, ended.end, interval, count),
    };
    current.current_period_start = next.start;
    current.current_period_end = next.end;
    if (sub.status === 'trialing') sub.status = 'active';
    const input: SubscriptionInvoiceInput = {
      billingReason: 'subscription_cycle',
      periodStart: ended.start,
      periodEnd: ended.end,
      cycle: { amount: (current.price.unit_amount ?? 0) * (current.quantity ?? 1), period: next },
      // proration items of changes made during the period that just ended
      invoiceItems: pendingItemsOf(ctx, sub.id),
      usage: usageCharges(ctx, sub, ended, next),
    };
    invoice = isDraft
      ? createDraftSubscriptionInvoice(ctx, sub, input, moment, at + FINALIZATION_GRACE_SECONDS)
      : createSubscriptionInvoice(ctx, sub, input, moment);
  });
  // a send_invoice renewal stays open until the customer pays it (hosted page, invoices.pay)
  const isCharged = subscription.collection_method === 'charge_automatically';
  if (invoice && !isDraft && isCharged) attemptInvoicePayment(ctx, invoice, moment, 'automatic');
}

/**
 * Moves the emulator clock forward by exactly `seconds` (whole), carrying out everything that falls due
 * on the way. Exactly, not to the whole second: from 12:00:00.700, advancing a day from the floored
 * second moved the clock 700 ms short of a day, so a trial started that same second ended after "now
 * plus the rest of its days" (a reminder test missed its window). Stripe's times are whole seconds, so
 * what is due by the exact target is what is due by its floored second.
 */
export function advanceClock(ctx: EmulatorContext, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw invalidRequest('seconds must be a non-negative number', 'seconds');
  }
  const targetMs = ctx.clock.now().getTime() + Math.floor(seconds) * 1000;
  processDue(ctx, Math.floor(targetMs / 1000));
  ctx.clock.moveTo(targetMs / 1000);
}
