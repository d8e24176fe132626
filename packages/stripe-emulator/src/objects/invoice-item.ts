import Stripe from 'stripe';

export interface ProrationItemInput {
  id: string;
  customer: string;
  subscription: Stripe.Subscription;
  item: Stripe.SubscriptionItem;
  /** The price the item prorates (default the subscription item's; a price change credits the old one). */
  price?: Stripe.Price;
  /** Negative for a credit (unused time), positive for a charge (remaining time). */
  amount: number;
  quantity: number;
  description: string;
  /** The remaining part of the current period: from the change to the period end. */
  period: { start: number; end: number };
  /** What a credit gives back (the debit it reverses); null on charges or when unknown. */
  creditedItems: Stripe.InvoiceItem.ProrationDetails.CreditedItems | null;
  created: number;
}

/**
 * An `ii_…` proration item as Stripe creates it on a quantity or price change: pending (`invoice: null`)
 * until an invoice collects it, never discountable, linked to its subscription item under `parent`.
 */
export function buildProrationItem(input: ProrationItemInput): Stripe.InvoiceItem {
  const price = input.price ?? input.item.price;
  return {
    id: input.id,
    object: 'invoiceitem',
    amount: input.amount,
    currency: price.currency,
    customer: input.customer,
    customer_account: null,
    date: input.created,
    description: input.description,
    discountable: false,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: {},
    net_amount: input.amount,
    parent: {
      subscription_details: { subscription: input.subscription.id, subscription_item: input.item.id },
      type: 'subscription_details',
    },
    period: { start: input.period.start, end: input.period.end },
    pricing: {
      price_details: {
        price: price.id,
        product: typeof price.product === 'string' ? price.product : price.product.id,
      },
      type: 'price_details',
      unit_amount_decimal: price.unit_amount_decimal,
    },
    proration: true,
    proration_details: { credited_items: input.creditedItems, discount_amounts: [] },
    quantity: input.quantity,
    quantity_decimal: Stripe.Decimal.from(input.quantity),
    tax_rates: [],
    test_clock: null,
  };
}

export function invoiceItemSubscriptionId(item: Stripe.InvoiceItem): string | null {
  return item.parent?.subscription_details?.subscription ?? null;
}

export function isPending(item: Stripe.InvoiceItem): boolean {
  return item.invoice === null;
}
