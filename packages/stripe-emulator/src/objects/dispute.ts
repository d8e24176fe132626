import type Stripe from 'stripe';
import { idOf } from './id-of';

const DAY_SECONDS = 86_400;

/**
 * How long the merchant has to answer, as Stripe's API reference example has it: a dispute created
 * on April 4 is due April 23, 23:59:59 UTC (the end of the 19th day after).
 */
const EVIDENCE_DAYS = 19;

/** Stripe's dispute fee in the US, withdrawn with the disputed amount (and not returned on a win since June 2025). */
export const DISPUTE_FEE_CENTS = 1500;

/** The network's own code for the reason, on the networks whose codes the emulator knows. */
const NETWORK_REASON_CODES: Record<string, Record<string, string>> = {
  fraudulent: { visa: '10.4', mastercard: '4837' },
};

export interface DisputeInput {
  id: string;
  created: number;
  charge: Stripe.Charge;
  amount: number;
  reason: string;
}

function emptyEvidence(): Stripe.Dispute.Evidence {
  return {
    access_activity_log: null,
    billing_address: null,
    cancellation_policy: null,
    cancellation_policy_disclosure: null,
    cancellation_rebuttal: null,
    customer_communication: null,
    customer_email_address: null,
    customer_name: null,
    customer_purchase_ip: null,
    customer_signature: null,
    duplicate_charge_documentation: null,
    duplicate_charge_explanation: null,
    duplicate_charge_id: null,
    enhanced_evidence: {},
    product_description: null,
    receipt: null,
    refund_policy: null,
    refund_policy_disclosure: null,
    refund_refusal_explanation: null,
    service_date: null,
    service_documentation: null,
    shipping_address: null,
    shipping_carrier: null,
    shipping_date: null,
    shipping_documentation: null,
    shipping_tracking_number: null,
    uncategorized_file: null,
    uncategorized_text: null,
  };
}

/** The evidence fields a merchant may fill (enhanced_evidence is a structure of its own, not modelled). */
export const EVIDENCE_FIELDS = Object.keys(emptyEvidence()).filter(
  (field) => field !== 'enhanced_evidence',
) as ReadonlyArray<Exclude<keyof Stripe.Dispute.Evidence, 'enhanced_evidence' | 'appeal'>>;

function evidenceDueBy(created: number): number {
  return (Math.floor(created / DAY_SECONDS) + EVIDENCE_DAYS + 1) * DAY_SECONDS - 1;
}

/**
 * A chargeback (not an inquiry) of a card charge, as Stripe opens it: `needs_response`, the money
 * already taken back (its withdrawal is added by the caller), the charge no longer refundable.
 */
export function buildDispute(input: DisputeInput): Stripe.Dispute {
  const { charge } = input;
  const brand = charge.payment_method_details?.card?.brand ?? 'visa';
  const networkReasonCode = NETWORK_REASON_CODES[input.reason]?.[brand] ?? null;
  return {
    id: input.id,
    object: 'dispute',
    amount: input.amount,
    balance_transactions: [],
    charge: charge.id,
    created: input.created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: {
      due_by: evidenceDueBy(input.created),
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    network_reason_code: networkReasonCode,
    payment_intent: idOf(charge.payment_intent),
    payment_method_details: {
      card: { brand, case_type: 'chargeback', network: brand, network_reason_code: networkReasonCode },
      type: 'card',
    },
    reason: input.reason,
    status: 'needs_response',
  };
}

/**
 * The balance transactions a dispute shows (embedded in it; the emulator has no balance API): the
 * withdrawal of the amount plus the fee when it opens, and the amount given back when the merchant wins.
 */
export function disputeBalanceTransaction(
  dispute: Stripe.Dispute,
  id: string,
  kind: 'withdrawal' | 'reinstatement',
  created: number,
): Stripe.BalanceTransaction {
  const isWithdrawal = kind === 'withdrawal';
  const amount = isWithdrawal ? -dispute.amount : dispute.amount;
  const fee = isWithdrawal ? DISPUTE_FEE_CENTS : 0;
  const chargeId = idOf(dispute.charge);
  return {
    id,
    object: 'balance_transaction',
    amount,
    available_on: (Math.floor(created / DAY_SECONDS) + 2) * DAY_SECONDS,
    balance_type: 'payments',
    created,
    currency: dispute.currency,
    description: `${isWithdrawal ? 'Chargeback withdrawal' : 'Chargeback reversal'} for ${chargeId ?? ''}`,
    exchange_rate: null,
    fee,
    fee_details: isWithdrawal
      ? [
          {
            amount: fee,
            application: null,
            currency: dispute.currency,
            description: 'Dispute fee',
            type: 'stripe_fee',
          },
        ]
      : [],
    net: amount - fee,
    reporting_category: isWithdrawal ? 'dispute' : 'dispute_reversal',
    source: dispute.id,
    status: 'pending',
    type: 'adjustment',
  };
}
