import type Stripe from 'stripe';
import { getPrice } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam } from '../errors';
import { arrayParam, asParams, optionalInteger, optionalString } from '../form-parsing';
import type { Params } from '../form-parsing';
import type { CheckoutMode } from '../objects/checkout-session';
import type { CheckoutLineItem } from '../store';
import { createPrice, parsePriceSpec } from './price-params';
import type { PriceSpec } from './price-params';

/** Stripe's limit on line items per payment-mode session. */
const MAX_PAYMENT_LINE_ITEMS = 100;

const RECURRING_IN_PAYMENT_MODE =
  'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.';

/** A validated line item whose inline price (price_data) is not stored yet. */
interface ParsedLineItem {
  price: Stripe.Price | PriceSpec;
  quantity: number;
}

function isStoredPrice(price: Stripe.Price | PriceSpec): price is Stripe.Price {
  return 'object' in price;
}

function parseSubscriptionPrice(ctx: EmulatorContext, item: Params, index: number): Stripe.Price {
  const priceId = optionalString(item, 'price');
  if (!priceId) throw missingParam(`line_items[${index}][price]`);
  const price = getPrice(ctx, priceId, `line_items[${index}][price]`);
  if (price.type !== 'recurring') {
    throw invalidRequest(
      'You must provide at least one recurring price in `subscription` mode when using prices.',
      `line_items[${index}][price]`,
    );
  }
  return price;
}

function parsePaymentPrice(ctx: EmulatorContext, item: Params, index: number): Stripe.Price | PriceSpec {
  const param = `line_items[${index}]`;
  const priceId = optionalString(item, 'price');
  if (priceId && item.price_data !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: price, price_data.',
      `${param}[price]`,
    );
  }
  if (priceId) {
    const price = getPrice(ctx, priceId, `${param}[price]`);
    if (price.type === 'recurring') throw invalidRequest(RECURRING_IN_PAYMENT_MODE, `${param}[price]`);
    if (!price.active) {
      throw invalidRequest(
        'The price specified is inactive. This field only accepts active prices.',
        `${param}[price]`,
      );
    }
    return price;
  }
  if (item.price_data === undefined) throw missingParam(`${param}[price]`);
  const spec = parsePriceSpec(ctx, asParams(item.price_data), `${param}[price_data]`);
  if (spec.recurring) throw invalidRequest(RECURRING_IN_PAYMENT_MODE, `${param}[price_data][recurring]`);
  return spec;
}

/**
 * Validates line_items. Subscription mode: exactly one recurring `price`. Payment mode: up to 100
 * one-time prices, each an existing `price` or inline `price_data`, all in one currency.
 */
export function parseLineItems(ctx: EmulatorContext, params: Params, mode: CheckoutMode): ParsedLineItem[] {
  const raw = arrayParam(params, 'line_items');
  if (raw.length === 0) throw missingParam('line_items');
  if (mode === 'subscription' && raw.length > 1) {
    throw invalidRequest(
      'The Stripe emulator supports one line item per subscription checkout session.',
      'line_items',
    );
  }
  if (raw.length > MAX_PAYMENT_LINE_ITEMS) {
    throw invalidRequest(`You may only specify up to ${MAX_PAYMENT_LINE_ITEMS} line items.`, 'line_items');
  }
  const items = raw.map((entry, index) => {
    const item = asParams(entry);
    const price =
      mode === 'subscription'
        ? parseSubscriptionPrice(ctx, item, index)
        : parsePaymentPrice(ctx, item, index);
    const quantity = optionalInteger(item, 'quantity') ?? 1;
    if (quantity < 1) throw invalidRequest('Quantity must be at least 1.', `line_items[${index}][quantity]`);
    return { price, quantity };
  });
  const currencies = new Set(items.map((item) => item.price.currency));
  if (currencies.size > 1) {
    throw invalidRequest('All line items must be in the same currency.', 'line_items');
  }
  return items;
}

/** Stores the inline prices (inactive, with their products) and returns the session's line items. */
export function storeLineItems(ctx: EmulatorContext, items: ParsedLineItem[]): CheckoutLineItem[] {
  return items.map((item) => {
    const price = isStoredPrice(item.price) ? item.price : createPrice(ctx, item.price, true).price;
    return { price: price.id, quantity: item.quantity };
  });
}

/** The sum of the line items and their (single) currency. */
export function lineItemsTotal(items: ParsedLineItem[]): { amount: number; currency: string } {
  const amount = items.reduce((sum, item) => {
    const unitAmount = isStoredPrice(item.price) ? (item.price.unit_amount ?? 0) : item.price.unitAmount;
    return sum + unitAmount * item.quantity;
  }, 0);
  return { amount, currency: items[0]?.price.currency ?? 'usd' };
}
