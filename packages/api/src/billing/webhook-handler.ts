import { linkStripeCustomer, recordEventOnce } from '@tollgate/db';
import { parseStripeCheckoutSession, parseStripeInvoice } from '@tollgate/domain';
import type Stripe from 'stripe';
import type { ApiDeps } from '../config';
import type { DuplicateCancellation } from './duplicate-subscriptions';
import type { BillingSettings } from './stripe-settings';
import type { SubscriptionSync } from './subscription-sync';

export type WebhookOutcome =
  | { status: 'processed'; eventId: string; type: string; userId: string | null }
  | { status: 'duplicate'; eventId: string; type: string }
  | { status: 'ignored'; eventId: string; type: string };

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** Events whose effect is "bring this subscription's state up to date". */
const SUBSCRIPTION_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
  'customer.subscription.pending_update_applied',
  'customer.subscription.pending_update_expired',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'invoice.payment_action_required',
]);

interface Target {
  subscriptionId: string | null;
  userIdHint: string | null;
  customerId: string | null;
}

/**
 * Verifies and applies one Stripe webhook delivery. The event id is stored in the same transaction as
 * its effect: a duplicate is a no-op, and a failure rolls both back so the 5xx makes Stripe retry.
 */
export function createWebhookHandler(deps: ApiDeps, settings: BillingSettings, sync: SubscriptionSync) {
  const { db, logger } = deps;

  function verify(rawBody: Buffer | string, signature: string | undefined): Stripe.Event {
    if (!signature) throw new WebhookSignatureError('Missing Stripe-Signature header');
    try {
      return settings.stripe.webhooks.constructEvent(
        rawBody,
        signature,
        settings.webhookSecret,
        settings.webhookToleranceSeconds,
      );
    } catch (error) {
      throw new WebhookSignatureError((error as Error).message);
    }
  }

  return async function handleWebhook(
    rawBody: Buffer | string,
    signature: string | undefined,
  ): Promise<WebhookOutcome> {
    const event = verify(rawBody, signature);
    const { id: eventId, type } = event;
    const target = SUBSCRIPTION_EVENTS.has(type) ? targetOf(event) : null;
    let cancellations: DuplicateCancellation[] = [];

    const outcome = await db.transaction(async (tx): Promise<WebhookOutcome> => {
      const isNew = await recordEventOnce(tx, {
        id: eventId,
        type,
        stripeCreatedAt: new Date(event.created * 1000),
        objectId: objectIdOf(event),
      });
      if (!isNew) return { status: 'duplicate', eventId, type };
      if (!target?.subscriptionId) {
        if (!target) logger.info('stripe event type not handled; recorded and ignored', { eventId, type });
        return { status: 'ignored', eventId, type };
      }
      if (target.userIdHint && target.customerId) {
        // Checkout tells us whose customer this is: link it now, before the subscription sync looks.
        // In a savepoint: a customer already linked to another account must not abort the transaction.
        const { userIdHint, customerId } = target;
        await tx
          .transaction((savepoint) => linkStripeCustomer(savepoint, userIdHint, customerId))
          .catch((error: unknown) =>
            logger.warn('checkout customer not linked', { eventId, error: String(error) }),
          );
      }
      const result = await sync.syncInTransaction(tx, target.subscriptionId, target.userIdHint);
      cancellations = result?.cancellations ?? [];
      return { status: 'processed', eventId, type, userId: result?.userId ?? null };
    });
    // After the commit: a Stripe call never holds the account's lock. It records its own failures.
    await sync.cancelDuplicates(cancellations);
    return outcome;
  };
}

function targetOf(event: Stripe.Event): Target {
  const object: unknown = event.data.object;
  if (event.type.startsWith('checkout.session.')) {
    const session = parseStripeCheckoutSession(object);
    return {
      subscriptionId: session.subscriptionId,
      userIdHint: session.clientReferenceId ?? session.metadataUserId,
      customerId: session.customerId,
    };
  }
  if (event.type.startsWith('invoice.')) {
    const invoice = parseStripeInvoice(object);
    return { subscriptionId: invoice.subscriptionId, userIdHint: null, customerId: invoice.customerId };
  }
  const id = (object as { id?: unknown }).id;
  return { subscriptionId: typeof id === 'string' ? id : null, userIdHint: null, customerId: null };
}

function objectIdOf(event: Stripe.Event): string | null {
  const id = (event.data.object as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}
