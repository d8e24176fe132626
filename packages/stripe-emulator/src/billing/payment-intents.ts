import type Stripe from 'stripe';
import type { CardOutcome } from '../cards';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { newId } from '../ids';
import { buildCharge, settleCharge } from '../objects/charge';
import type { ChargeFailure, ChargeResult } from '../objects/charge';
import { buildPaymentIntent } from '../objects/payment-intent';
import type { PaymentIntentInput } from '../objects/payment-intent';
import { toPaymentMethod } from '../objects/payment-method';
import type { PaymentMethodRecord } from '../store';

/**
 * A bank debit that bounces. The emulator has one failure reason; Stripe reports others too
 * (account_closed, no_account, …), with the same shapes.
 */
export const BANK_DEBIT_FAILURE: ChargeFailure = {
  code: 'insufficient_funds',
  declineCode: null,
  message: "The customer's account has insufficient funds to cover this payment.",
};

/** Creates and stores a PaymentIntent (requires_payment_method); emits payment_intent.created. */
export function createPaymentIntent(
  ctx: EmulatorContext,
  input: Omit<PaymentIntentInput, 'id' | 'created'>,
  moment: Moment,
): Stripe.PaymentIntent {
  const intent = buildPaymentIntent({ ...input, id: newId('pi'), created: moment.at });
  ctx.store.paymentIntents.set(intent.id, intent);
  ctx.events.emit('payment_intent.created', intent, moment);
  return intent;
}

function createCharge(
  ctx: EmulatorContext,
  intent: Stripe.PaymentIntent,
  method: PaymentMethodRecord,
  result: ChargeResult,
  email: string | null,
  moment: Moment,
): Stripe.Charge {
  const charge = buildCharge({
    id: newId('ch'),
    created: moment.at,
    intent,
    method,
    result,
    email,
    publicUrl: ctx.config.publicUrl,
  });
  ctx.store.charges.set(charge.id, charge);
  intent.latest_charge = charge.id;
  return charge;
}

function markSucceeded(intent: Stripe.PaymentIntent, methodId: string): void {
  intent.status = 'succeeded';
  intent.amount_received = intent.amount;
  intent.payment_method = methodId;
  intent.last_payment_error = null;
}

/** A failed attempt sends the PaymentIntent back to requires_payment_method, as on Stripe. */
function markFailed(
  intent: Stripe.PaymentIntent,
  charge: Stripe.Charge,
  method: PaymentMethodRecord,
  failure: ChargeFailure,
): void {
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.amount_received = 0;
  intent.last_payment_error = {
    ...(charge.outcome?.advice_code ? { advice_code: charge.outcome.advice_code } : {}),
    charge: charge.id,
    code: failure.code,
    ...(failure.declineCode ? { decline_code: failure.declineCode } : {}),
    doc_url: `https://stripe.com/docs/error-codes/${failure.code.replaceAll('_', '-')}`,
    message: failure.message,
    ...(charge.outcome?.network_decline_code
      ? { network_decline_code: charge.outcome.network_decline_code }
      : {}),
    payment_method: toPaymentMethod(method),
    type: 'card_error',
  };
}

/**
 * Charges a card for the PaymentIntent now. Approved: charge.succeeded, payment_intent.succeeded.
 * Declined: a failed charge, charge.failed, payment_intent.payment_failed (last_payment_error set).
 */
export function chargeCard(
  ctx: EmulatorContext,
  intent: Stripe.PaymentIntent,
  method: PaymentMethodRecord,
  outcome: CardOutcome,
  email: string | null,
  moment: Moment,
): Stripe.Charge {
  if (outcome.isApproved) {
    const charge = createCharge(ctx, intent, method, { status: 'succeeded' }, email, moment);
    markSucceeded(intent, method.id);
    ctx.events.emit('charge.succeeded', charge, moment);
    ctx.events.emit('payment_intent.succeeded', intent, moment);
    return charge;
  }
  const failure: ChargeFailure = outcome;
  const charge = createCharge(ctx, intent, method, { status: 'failed', failure }, email, moment);
  markFailed(intent, charge, method, failure);
  ctx.events.emit('charge.failed', charge, moment);
  ctx.events.emit('payment_intent.payment_failed', intent, moment);
  return charge;
}

/** A bank debit starts: a pending charge and a processing PaymentIntent (charge.pending, payment_intent.processing). */
export function startBankDebit(
  ctx: EmulatorContext,
  intent: Stripe.PaymentIntent,
  method: PaymentMethodRecord,
  email: string | null,
  moment: Moment,
): Stripe.Charge {
  const charge = createCharge(ctx, intent, method, { status: 'pending' }, email, moment);
  intent.status = 'processing';
  intent.payment_method = method.id;
  intent.last_payment_error = null;
  ctx.events.emit('charge.pending', charge, moment);
  ctx.events.emit('payment_intent.processing', intent, moment);
  return charge;
}

/** The bank answers: the debit clears (failure null) or bounces; emits the same events as a card. */
export function settleBankDebit(
  ctx: EmulatorContext,
  intent: Stripe.PaymentIntent,
  failure: ChargeFailure | null,
  moment: Moment,
): void {
  const chargeId = typeof intent.latest_charge === 'string' ? intent.latest_charge : intent.latest_charge?.id;
  const charge = chargeId ? ctx.store.charges.get(chargeId) : undefined;
  const methodId =
    typeof intent.payment_method === 'string' ? intent.payment_method : intent.payment_method?.id;
  const method = methodId ? ctx.store.paymentMethods.get(methodId) : undefined;
  if (!charge || !method) throw new Error(`payment intent ${intent.id} has no pending bank debit`);
  settleCharge(charge, failure);
  if (failure === null) {
    markSucceeded(intent, method.id);
    ctx.events.emit('charge.succeeded', charge, moment);
    ctx.events.emit('payment_intent.succeeded', intent, moment);
    return;
  }
  markFailed(intent, charge, method, failure);
  ctx.events.emit('charge.failed', charge, moment);
  ctx.events.emit('payment_intent.payment_failed', intent, moment);
}

export type CancellationReason = Stripe.PaymentIntent.CancellationReason;

/** Cancels a PaymentIntent that can't be paid any more (payment_intent.canceled). */
export function cancelPaymentIntent(
  ctx: EmulatorContext,
  intent: Stripe.PaymentIntent,
  reason: CancellationReason | null,
  moment: Moment,
): void {
  intent.status = 'canceled';
  intent.canceled_at = moment.at;
  intent.cancellation_reason = reason;
  ctx.events.emit('payment_intent.canceled', intent, moment);
}
