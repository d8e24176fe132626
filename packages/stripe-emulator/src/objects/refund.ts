import type Stripe from 'stripe';
import { idOf } from './id-of';

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';
export const REFUND_REASONS: readonly RefundReason[] = ['duplicate', 'fraudulent', 'requested_by_customer'];

export interface RefundInput {
  id: string;
  created: number;
  charge: Stripe.Charge;
  amount: number;
  reason: RefundReason | null;
  metadata: Record<string, string>;
}

/**
 * Where the money goes back. A card refund's acquirer reference number (ARN) is not known at first:
 * Stripe reports it `pending`, without a `reference`, and fills it in later (charge.refund.updated).
 */
function destinationDetails(charge: Stripe.Charge): Stripe.Refund.DestinationDetails {
  if (charge.payment_method_details?.type === 'us_bank_account') {
    return { type: 'us_bank_transfer', us_bank_transfer: { reference: null, reference_status: 'pending' } };
  }
  return {
    type: 'card',
    card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
  };
}

/** A refund as Stripe creates it for a card: `succeeded` at once (refunds have no livemode field). */
export function buildRefund(input: RefundInput): Stripe.Refund {
  const { charge } = input;
  return {
    id: input.id,
    object: 'refund',
    amount: input.amount,
    balance_transaction: null,
    charge: charge.id,
    created: input.created,
    currency: charge.currency,
    customer: idOf(charge.customer),
    customer_account: null,
    destination_details: destinationDetails(charge),
    metadata: input.metadata,
    payment_intent: idOf(charge.payment_intent),
    payment_method: charge.payment_method,
    reason: input.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}

/** An acquirer reference number: 23 digits on real card refunds. */
export function acquirerReferenceNumber(refundId: string): string {
  let digits = '';
  for (const char of refundId) digits += String(char.charCodeAt(0) % 10);
  return digits.slice(-23).padStart(23, '7');
}
