import type Stripe from 'stripe';
import { TEST_PAYMENT_METHOD_TOKENS, chargeOutcome } from '../cards';
import type { EmulatorContext } from '../context';
import { StripeApiError, invalidRequest, resourceMissing } from '../errors';
import type { Moment } from '../events';
import { idOf } from '../objects/id-of';
import { checkoutSessionOf } from '../objects/payment-intent';
import { paymentMethodTypeOf, savePaymentMethod, toPaymentMethod } from '../objects/payment-method';
import type { PaymentMethodRecord } from '../store';
import { wireCopy } from '../store';
import { disputeIfTestCard } from './disputes';
import { chargeCard } from './payment-intents';

function unexpectedState(message: string): StripeApiError {
  return invalidRequest(message, undefined, 'payment_intent_unexpected_state');
}

/**
 * The card a confirmation charges: a test token (pm_card_visa, …) becomes a new card; a saved pm_ must
 * be the customer's. Stripe never falls back to the customer's default payment method here (that
 * default is for invoices only), so a confirmation without one is refused. Runs before anything
 * changes, so a refused create-and-confirm leaves no PaymentIntent behind.
 */
export function resolveConfirmationMethod(
  ctx: EmulatorContext,
  customerId: string | null,
  paymentMethodId: string | null,
  moment: Moment,
): PaymentMethodRecord {
  if (!paymentMethodId) throw missingPaymentMethod(customerId);
  const tokenNumber = TEST_PAYMENT_METHOD_TOKENS[paymentMethodId];
  const savedId = tokenNumber ? savePaymentMethod(ctx.store, null, tokenNumber, moment.at) : paymentMethodId;
  const record = ctx.store.paymentMethods.get(savedId);
  if (!record) throw resourceMissing('payment_method', paymentMethodId, 'payment_method');
  if (record.customer !== null && record.customer !== customerId) {
    throw invalidRequest(
      `The provided PaymentMethod ${paymentMethodId} is attached to another customer than this PaymentIntent's.`,
      'payment_method',
    );
  }
  if (paymentMethodTypeOf(record) !== 'card') {
    throw invalidRequest('The Stripe emulator confirms PaymentIntents with cards only.', 'payment_method');
  }
  return record;
}

/** Stripe's wording, which names the customer whose saved methods could have been passed. */
function missingPaymentMethod(customerId: string | null): StripeApiError {
  return unexpectedState(
    customerId
      ? `You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with ${customerId}, specify a payment method attached to this customer along with the customer ID.`
      : "You cannot confirm this PaymentIntent because it's missing a payment method. Update it with a payment_method and try again.",
  );
}

/**
 * Charges the card for the PaymentIntent now (no 3-D Secure in the emulator). `isOffSession`: a later
 * charge of a saved card (4000 0000 0000 0341 is declined then). A decline answers 402 card_error with
 * the PaymentIntent (back to requires_payment_method), the charge and the payment method in the error,
 * as Stripe does.
 */
export function chargeForConfirmation(
  ctx: EmulatorContext,
  intent: Stripe.PaymentIntent,
  method: PaymentMethodRecord,
  isOffSession: boolean,
  moment: Moment,
): void {
  const outcome = chargeOutcome(method.number, !isOffSession);
  const customerId = idOf(intent.customer);
  const email = customerId ? (ctx.store.customers.get(customerId)?.email ?? null) : null;
  const charge = chargeCard(ctx, intent, method, outcome, email, moment);
  if (outcome.isApproved) {
    disputeIfTestCard(ctx, charge, moment);
    return;
  }
  throw new StripeApiError({
    status: 402,
    type: 'card_error',
    code: outcome.code,
    message: outcome.message,
    ...(outcome.declineCode ? { declineCode: outcome.declineCode } : {}),
    details: {
      charge: charge.id,
      doc_url: `https://stripe.com/docs/error-codes/${outcome.code.replaceAll('_', '-')}`,
      payment_intent: wireCopy(intent),
      payment_method: toPaymentMethod(method),
    },
  });
}

/** Confirms an existing PaymentIntent (POST /v1/payment_intents/:id/confirm) with a card. */
export function confirmPaymentIntent(
  ctx: EmulatorContext,
  intent: Stripe.PaymentIntent,
  paymentMethodId: string | undefined,
  isOffSession: boolean,
  moment: Moment,
): void {
  if (checkoutSessionOf(intent)) {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it belongs to Checkout Session ${checkoutSessionOf(intent)}.`,
    );
  }
  if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
    );
  }
  const id = paymentMethodId ?? idOf(intent.payment_method);
  const method = resolveConfirmationMethod(ctx, idOf(intent.customer), id, moment);
  chargeForConfirmation(ctx, intent, method, isOffSession, moment);
}
