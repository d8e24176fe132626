import Stripe from 'stripe';
import { newId } from '../ids';
import { formatMoney } from './money';

type CreditedLines = Stripe.InvoiceLineItem.Parent.SubscriptionItemDetails.ProrationDetails.CreditedItems;

function pricingOf(price: Stripe.Price): Stripe.InvoiceLineItem.Pricing {
  return {
    price_details: {
      price: price.id,
      product: typeof price.product === 'string' ? price.product : price.product.id,
    },
    type: 'price_details',
    unit_amount_decimal: price.unit_amount_decimal,
  };
}

interface LineBase {
  invoiceId: string;
  subscriptionId: string;
  subscriptionItemId: string;
  price: Stripe.Price;
  amount: number;
  quantity: number;
  description: string;
  period: { start: number; end: number };
  isDiscountable: boolean;
  invoiceItem: string | null;
  creditedItems: CreditedLines | null;
}

function buildLine(input: LineBase): Stripe.InvoiceLineItem {
  const isProration = input.invoiceItem !== null;
  return {
    id: newId('il'),
    object: 'line_item',
    amount: input.amount,
    currency: input.price.currency,
    description: input.description,
    discount_amounts: [],
    discountable: input.isDiscountable,
    discounts: [],
    invoice: input.invoiceId,
    livemode: false,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: input.invoiceItem,
        proration: isProration,
        proration_details: { credited_items: input.creditedItems },
        subscription: input.subscriptionId,
        subscription_item: input.subscriptionItemId,
      },
      type: 'subscription_item_details',
    },
    period: { start: input.period.start, end: input.period.end },
    pretax_credit_amounts: [],
    pricing: pricingOf(input.price),
    quantity: input.quantity,
    quantity_decimal: Stripe.Decimal.from(input.quantity),
    subscription: input.subscriptionId,
    subtotal: input.amount,
    taxes: [],
  };
}

function quantityDescription(price: Stripe.Price, quantity: number): string {
  return `${quantity} × ${price.nickname ?? price.id} (at ${formatMoney(price.unit_amount ?? 0, price.currency)} / ${price.recurring?.interval ?? 'month'})`;
}

/** The line that bills a subscription item for a service period (first invoice or renewal). */
export function subscriptionLine(
  invoiceId: string,
  subscription: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  amount: number,
  period: { start: number; end: number },
): Stripe.InvoiceLineItem {
  const { price } = item;
  const quantity = item.quantity ?? 1;
  return buildLine({
    invoiceId,
    subscriptionId: subscription.id,
    subscriptionItemId: item.id,
    price,
    amount,
    quantity,
    description: quantityDescription(price, quantity),
    period,
    isDiscountable: true,
    invoiceItem: null,
    creditedItems: null,
  });
}

/**
 * A usage line brought up to date (a draft's metered line at finalization): same line id, the new
 * quantity and amount.
 */
export function withQuantity(
  line: Stripe.InvoiceLineItem,
  price: Stripe.Price,
  quantity: number,
  amount: number,
): Stripe.InvoiceLineItem {
  return {
    ...line,
    amount,
    subtotal: amount,
    quantity,
    quantity_decimal: Stripe.Decimal.from(quantity),
    description: quantityDescription(price, quantity),
  };
}

/**
 * The line a subscription's proration item becomes on an invoice: still a subscription_item_details
 * line (proration: true) that names its ii_… item; a credit names the debit line it reverses.
 */
export function prorationLine(
  invoiceId: string,
  invoiceItem: Stripe.InvoiceItem,
  price: Stripe.Price,
  creditedItems: CreditedLines | null,
): Stripe.InvoiceLineItem {
  const details = invoiceItem.parent?.subscription_details;
  return buildLine({
    invoiceId,
    subscriptionId: details?.subscription ?? '',
    subscriptionItemId: details?.subscription_item ?? '',
    price,
    amount: invoiceItem.amount,
    quantity: invoiceItem.quantity,
    description: invoiceItem.description ?? '',
    period: invoiceItem.period,
    isDiscountable: false,
    invoiceItem: invoiceItem.id,
    creditedItems,
  });
}
