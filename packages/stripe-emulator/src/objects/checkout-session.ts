import type Stripe from 'stripe';

export type CheckoutMode = 'payment' | 'subscription';

export interface CheckoutSessionInput {
  id: string;
  created: number;
  mode: CheckoutMode;
  customer: string | null;
  /** Payment mode only: 'always' creates a customer when the customer pays (default if_required: none). */
  customerCreation: 'always' | 'if_required' | null;
  paymentMethodTypes: string[];
  customerEmail: string | null;
  clientReferenceId: string | null;
  successUrl: string;
  cancelUrl: string | null;
  metadata: Record<string, string>;
  amountTotal: number;
  currency: string;
  allowPromotionCodes: boolean | null;
  url: string;
}

/** Hosted checkout sessions live for 24 hours unless expired earlier. */
export const CHECKOUT_SESSION_LIFETIME_SECONDS = 24 * 60 * 60;

/** Payment-mode fields that differ from subscription mode (from a recorded clover payment session). */
function modeFields(input: CheckoutSessionInput) {
  if (input.mode === 'subscription') {
    return {
      customer_creation: input.customer === null ? ('always' as const) : null,
      invoice_creation: null,
      payment_method_collection: 'always' as const,
    };
  }
  return {
    customer_creation: input.customer === null ? (input.customerCreation ?? 'if_required') : null,
    // post-purchase invoices (invoice_creation[enabled]) are not emulated
    invoice_creation: {
      enabled: false,
      invoice_data: {
        account_tax_ids: null,
        custom_fields: null,
        description: null,
        footer: null,
        issuer: null,
        metadata: {},
        rendering_options: null,
      },
    },
    payment_method_collection: 'if_required' as const,
  };
}

export function buildCheckoutSession(input: CheckoutSessionInput): Stripe.Checkout.Session {
  const byMode = modeFields(input);
  return {
    id: input.id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: input.allowPromotionCodes,
    allowed_payment_method_types: null,
    amount_subtotal: input.amountTotal,
    amount_total: input.amountTotal,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    branding_settings: {
      background_color: '#ffffff',
      border_style: 'rounded',
      button_color: '#0074d4',
      display_name: '',
      font_family: 'default',
      icon: null,
      logo: null,
    },
    cancel_url: input.cancelUrl,
    client_reference_id: input.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: input.created,
    currency: input.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: input.customer,
    customer_account: null,
    customer_creation: byMode.customer_creation,
    customer_details: null,
    customer_email: input.customerEmail,
    discounts: [],
    expires_at: input.created + CHECKOUT_SESSION_LIFETIME_SECONDS,
    integration_identifier: null,
    invoice: null,
    invoice_creation: byMode.invoice_creation,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: input.metadata,
    mode: input.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: byMode.payment_method_collection,
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    payment_method_types: input.paymentMethodTypes,
    payment_status: 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    // a guest payment (no customer) has no saved payment methods to offer
    saved_payment_method_options:
      input.mode === 'payment' && input.customer === null
        ? null
        : { allow_redisplay_filters: ['always'], payment_method_remove: null, payment_method_save: null },
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: input.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: input.url,
    wallet_options: null,
  };
}

export function buildCheckoutLineItem(id: string, price: Stripe.Price, quantity: number): Stripe.LineItem {
  const amount = (price.unit_amount ?? 0) * quantity;
  return {
    id,
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: price.currency,
    description: price.nickname,
    metadata: {},
    price,
    quantity,
  };
}
