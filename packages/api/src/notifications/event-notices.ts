import { parseStripeInvoice, type StripeEventEnvelope, type SubscriptionState } from '@tollgate/domain';
import { invoiceNotices, trialWillEndNotice, type AccountContext } from './billing-notices';
import type { NotificationEvent } from './notifier';

/**
 * Notices that belong to an event rather than to a change of state: a receipt or a failure is about
 * the invoice the event carries; trial_will_end is Stripe's reminder. (Changes of state are announced
 * by the sync itself, see transitionNotices.)
 */
export function eventNotices(
  envelope: StripeEventEnvelope,
  context: AccountContext,
  after: SubscriptionState,
): NotificationEvent[] {
  if (envelope.type.startsWith('invoice.')) {
    return invoiceNotices(context, envelope.type, parseStripeInvoice(envelope.object), after);
  }
  if (envelope.type === 'customer.subscription.trial_will_end') return trialWillEndNotice(context, after);
  return [];
}
