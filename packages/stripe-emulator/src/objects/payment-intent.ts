import type Stripe from 'stripe';
import { newClientSecret } from '../ids';

/**
 * A field real 2026 payloads carry (see test/fixtures/recorded-2026) that the SDK's endive types don't
 * declare yet: kept so handlers see the same keys as from Stripe.
 */
export interface PaymentIntentWireExtras {
  shared_payment_granted_token: null;
}

export type WirePaymentIntent = Stripe.PaymentIntent & PaymentIntentWireExtras;

export interface PaymentIntentInput {
  id: string;
  created: number;
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  paymentMethodTypes: string[];
  /** The Checkout Session that owns the PaymentIntent (Stripe names it in payment_details.order_reference). */
  checkoutSessionId: string | null;
}

/** A new PaymentIntent, waiting for a payment method (`requires_payment_method`). */
export function buildPaymentIntent(input: PaymentIntentInput): WirePaymentIntent {
  return {
    id: input.id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: newClientSecret(input.id),
    confirmation_method: 'automatic',
    created: input.created,
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: { enabled: false },
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    ...(input.checkoutSessionId === null
      ? {}
      : { payment_details: { customer_reference: null, order_reference: input.checkoutSessionId } }),
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: paymentMethodOptions(input.paymentMethodTypes),
    payment_method_types: input.paymentMethodTypes,
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shared_payment_granted_token: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

function paymentMethodOptions(types: string[]): Stripe.PaymentIntent.PaymentMethodOptions {
  const options: Stripe.PaymentIntent.PaymentMethodOptions = {};
  if (types.includes('card')) {
    options.card = {
      installments: null,
      mandate_options: null,
      network: null,
      request_three_d_secure: 'automatic',
    };
  }
  if (types.includes('us_bank_account')) {
    options.us_bank_account = { verification_method: 'automatic' };
  }
  return options;
}

/** The id of a PaymentIntent's Checkout Session, if a session created it. */
export function checkoutSessionOf(intent: Stripe.PaymentIntent): string | null {
  return intent.payment_details?.order_reference?.startsWith('cs_')
    ? intent.payment_details.order_reference
    : null;
}
