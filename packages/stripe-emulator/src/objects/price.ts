import Stripe from 'stripe';
import type { BillingInterval } from '../clock';

export interface CatalogPlan {
  key: string;
  name: string;
  description: string;
  features: string[];
  unitAmount: number;
  currency: string;
  interval: BillingInterval;
  metadata: Record<string, string>;
}

export function buildProduct(
  id: string,
  priceId: string,
  plan: CatalogPlan,
  created: number,
): Stripe.Product {
  return {
    id,
    object: 'product',
    active: true,
    created,
    default_price: priceId,
    description: plan.description,
    images: [],
    livemode: false,
    marketing_features: plan.features.map((name) => ({ name })),
    metadata: { ...plan.metadata },
    name: plan.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: created,
    url: null,
  };
}

export function buildPrice(id: string, productId: string, plan: CatalogPlan, created: number): Stripe.Price {
  return {
    id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created,
    currency: plan.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: `${plan.key.toLowerCase()}_${plan.interval}ly`,
    metadata: { ...plan.metadata },
    nickname: `${plan.name} ${plan.interval}ly`,
    product: productId,
    recurring: {
      interval: plan.interval,
      interval_count: 1,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: plan.unitAmount,
    unit_amount_decimal: Stripe.Decimal.from(plan.unitAmount),
  };
}

/** The legacy `plan` object Stripe still embeds next to `price` on subscription items. */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  const recurring = price.recurring;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring?.interval ?? 'month',
    interval_count: recurring?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: recurring?.meter ?? null,
    nickname: price.nickname,
    product: typeof price.product === 'string' ? price.product : price.product.id,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: recurring?.usage_type ?? 'licensed',
  };
}

const KNOWN_INTERVALS: readonly BillingInterval[] = ['day', 'week', 'month', 'year'];

export function priceInterval(price: Stripe.Price): { interval: BillingInterval; count: number } {
  const recurring = price.recurring;
  if (!recurring) return { interval: 'month', count: 1 };
  const interval = KNOWN_INTERVALS.find((known) => known === recurring.interval) ?? 'month';
  return { interval, count: recurring.interval_count };
}
