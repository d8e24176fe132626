import type Stripe from 'stripe';
import type { PaymentMethodRecord } from '../store';
import { idOf } from './id-of';
import { paymentMethodDetails } from './payment-method-details';

/**
 * Fields real charge payloads still carry (basil 2025 and 2026 recordings, test/fixtures) although
 * the SDK's endive types dropped them: kept so handlers see the same keys as from Stripe.
 */
export interface ChargeWireExtras {
  destination: null;
  dispute: null;
  order: null;
}

export type WireCharge = Stripe.Charge & ChargeWireExtras;

/** Why a charge failed: a card decline (cards.ts) or a failed bank debit. */
export interface ChargeFailure {
  code: string;
  declineCode: string | null;
  message: string;
}

/** pending: a bank debit that has not cleared yet (ACH takes days); it later succeeds or fails. */
export type ChargeResult =
  { status: 'succeeded' } | { status: 'pending' } | { status: 'failed'; failure: ChargeFailure };

export interface ChargeInput {
  id: string;
  created: number;
  intent: Stripe.PaymentIntent;
  method: PaymentMethodRecord;
  result: ChargeResult;
  email: string | null;
  publicUrl: string;
}

const APPROVED_OUTCOME: Stripe.Charge.Outcome = {
  advice_code: null,
  network_advice_code: null,
  network_decline_code: null,
  network_status: 'approved_by_network',
  reason: null,
  risk_level: 'normal',
  risk_score: 32,
  seller_message: 'Payment complete.',
  type: 'authorized',
};

/** Network decline codes as issuers send them: 51 is "insufficient funds", 05 "do not honor". */
const NETWORK_DECLINE_CODES: Record<string, string> = { insufficient_funds: '51', generic_decline: '05' };

/** The outcome Stripe reports for a declined or failed payment (charge.outcome). */
export function declinedOutcome(failure: ChargeFailure): Stripe.Charge.Outcome {
  const reason = failure.declineCode ?? failure.code;
  return {
    advice_code: 'try_again_later',
    network_advice_code: null,
    network_decline_code: NETWORK_DECLINE_CODES[reason] ?? null,
    network_status: 'declined_by_network',
    reason,
    risk_level: 'normal',
    risk_score: 32,
    seller_message:
      reason === 'generic_decline'
        ? 'The bank did not return any further details with this decline.'
        : `The bank returned the decline code \`${reason}\`.`,
    type: 'issuer_declined',
  };
}

/**
 * A charge made by a PaymentIntent. Cards succeed or fail at once; a bank debit starts `pending`
 * (paid: false) and is settled later by settleCharge.
 */
export function buildCharge(input: ChargeInput): WireCharge {
  const { intent, result } = input;
  const isFailed = result.status === 'failed';
  const failure = result.status === 'failed' ? result.failure : null;
  return {
    id: input.id,
    object: 'charge',
    amount: intent.amount,
    amount_captured: isFailed ? 0 : intent.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: input.email,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'STRIPE EMULATOR',
    captured: !isFailed,
    created: input.created,
    currency: intent.currency,
    customer: idOf(intent.customer),
    description: intent.description,
    destination: null,
    dispute: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: failure?.code ?? null,
    failure_message: failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...intent.metadata },
    on_behalf_of: null,
    order: null,
    outcome: failure ? declinedOutcome(failure) : APPROVED_OUTCOME,
    paid: result.status === 'succeeded',
    payment_intent: intent.id,
    payment_method: input.method.id,
    payment_method_details: paymentMethodDetails(input.method, intent.amount, !isFailed),
    radar_options: {},
    receipt_email: null,
    receipt_number: null,
    receipt_url: isFailed ? null : `${input.publicUrl}/receipts/${input.id}`,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: result.status,
    transfer_data: null,
    transfer_group: null,
  };
}

/** A pending bank debit clears (paid) or bounces (failed, nothing captured). */
export function settleCharge(charge: Stripe.Charge, failure: ChargeFailure | null): void {
  if (failure === null) {
    charge.status = 'succeeded';
    charge.paid = true;
    return;
  }
  charge.status = 'failed';
  charge.paid = false;
  charge.captured = false;
  charge.amount_captured = 0;
  charge.failure_code = failure.code;
  charge.failure_message = failure.message;
  charge.outcome = declinedOutcome(failure);
  charge.receipt_url = null;
}

/** What a charge can still give back: captured minus already refunded. */
export function refundableAmount(charge: Stripe.Charge): number {
  return charge.amount_captured - charge.amount_refunded;
}
