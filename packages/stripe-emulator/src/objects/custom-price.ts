import Stripe from 'stripe';
import type { BillingInterval } from '../clock';

/**
 * Prices and products made through the API (POST /v1/prices, /v1/products) or inline in a Checkout
 * Session's `line_items[][price_data]`, as opposed to the seeded catalog (price.ts).
 */
export interface CustomPriceInput {
  id: string;
  created: number;
  productId: string;
  currency: string;
  unitAmount: number;
  /** null: a one-time price. */
  recurring: { interval: BillingInterval; intervalCount: number; meter?: string | null } | null;
  /** A fractional unit amount in cents (metered prices only, e.g. "2.5"); unit_amount is then null. */
  unitAmountDecimal?: string | null;
  /** Inline price_data prices are inactive: a catalog listing (active=true) never shows them. */
  active: boolean;
  lookupKey: string | null;
  nickname: string | null;
  metadata: Record<string, string>;
}

export function buildCustomPrice(input: CustomPriceInput): Stripe.Price {
  return {
    id: input.id,
    object: 'price',
    active: input.active,
    billing_scheme: 'per_unit',
    created: input.created,
    currency: input.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: input.lookupKey,
    metadata: input.metadata,
    nickname: input.nickname,
    product: input.productId,
    recurring: input.recurring && {
      interval: input.recurring.interval,
      interval_count: input.recurring.intervalCount,
      meter: input.recurring.meter ?? null,
      trial_period_days: null,
      usage_type: input.recurring.meter ? 'metered' : 'licensed',
    },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: input.recurring ? 'recurring' : 'one_time',
    unit_amount: input.unitAmountDecimal ? null : input.unitAmount,
    unit_amount_decimal: Stripe.Decimal.from(input.unitAmountDecimal ?? input.unitAmount),
  };
}

export interface CustomProductInput {
  id: string;
  created: number;
  name: string;
  description: string | null;
  active: boolean;
  metadata: Record<string, string>;
}

export function buildCustomProduct(input: CustomProductInput): Stripe.Product {
  return {
    id: input.id,
    object: 'product',
    active: input.active,
    created: input.created,
    default_price: null,
    description: input.description,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: input.metadata,
    name: input.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: input.created,
    url: null,
  };
}
