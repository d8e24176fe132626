import { Router } from 'express';
import type Stripe from 'stripe';
import { customerPaymentMethod, getCustomer, getPrice } from '../billing/lookups';
import { createSubscriptionByApi } from '../billing/subscription-creation';
import type { PaymentBehavior, SubscriptionCreation } from '../billing/subscription-creation';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam } from '../errors';
import {
  applyMetadata,
  arrayParam,
  asParams,
  metadataParam,
  optionalInteger,
  optionalString,
  requireString,
} from '../form-parsing';
import type { Params } from '../form-parsing';
import { requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import { parseCollection, requireInvoiceEmail } from './subscription-collection';

const PAYMENT_BEHAVIORS: readonly PaymentBehavior[] = [
  'allow_incomplete',
  'default_incomplete',
  'error_if_incomplete',
];

function parseItem(ctx: EmulatorContext, raw: unknown, index: number): SubscriptionCreation['items'][number] {
  const item = asParams(raw);
  const param = `items[${index}][price]`;
  const priceId = optionalString(item, 'price');
  if (!priceId) throw missingParam(param);
  const price = getPrice(ctx, priceId, param);
  if (price.type !== 'recurring') {
    throw invalidRequest(
      'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
      param,
    );
  }
  const quantity = optionalInteger(item, 'quantity');
  if (quantity !== undefined && quantity < 0)
    throw invalidRequest('Invalid non-negative integer', `items[${index}][quantity]`);
  return { price, quantity: quantity ?? 1 };
}

/**
 * The first item is billed up front; the emulator bills one licensed item per subscription, so any
 * further item must be a metered price on the same interval and currency (billed in arrears).
 */
function parseItems(ctx: EmulatorContext, params: Params): SubscriptionCreation['items'] {
  const raw = arrayParam(params, 'items');
  if (raw.length === 0) throw missingParam('items');
  const items = raw.map((item, index) => parseItem(ctx, item, index));
  const [first, ...others] = items;
  if (!first) throw missingParam('items');
  if (first.price.recurring?.usage_type === 'metered') {
    throw invalidRequest('The Stripe emulator needs a licensed price as items[0].', 'items[0][price]');
  }
  others.forEach(({ price }, offset) => {
    const param = `items[${offset + 1}][price]`;
    if (price.recurring?.usage_type !== 'metered') {
      throw invalidRequest(
        'The Stripe emulator bills one licensed item per subscription: further items must be metered prices.',
        param,
      );
    }
    if (
      price.currency !== first.price.currency ||
      price.recurring.interval !== first.price.recurring?.interval
    ) {
      throw invalidRequest(
        'All prices on a subscription must have the same `currency` and `recurring.interval`.',
        param,
      );
    }
  });
  return items;
}

function parsePaymentBehavior(params: Params): PaymentBehavior {
  const value = optionalString(params, 'payment_behavior') ?? 'allow_incomplete';
  const known = PAYMENT_BEHAVIORS.find((behavior) => behavior === value);
  if (!known) {
    throw invalidRequest(
      `Invalid payment_behavior: must be one of ${PAYMENT_BEHAVIORS.join(', ')}`,
      'payment_behavior',
    );
  }
  return known;
}

function parseCreation(ctx: EmulatorContext, params: Params): SubscriptionCreation {
  const customer: Stripe.Customer = getCustomer(ctx, requireString(params, 'customer'));
  const items = parseItems(ctx, params);
  const { collectionMethod, daysUntilDue } = parseCollection(params, null);
  requireInvoiceEmail({ collectionMethod, daysUntilDue }, customer);
  const defaultPaymentMethod = optionalString(params, 'default_payment_method') ?? null;
  if (defaultPaymentMethod !== null) customerPaymentMethod(ctx, defaultPaymentMethod, customer.id);
  return {
    customer,
    items,
    collectionMethod,
    daysUntilDue,
    defaultPaymentMethod,
    paymentBehavior: parsePaymentBehavior(params),
    metadata: applyMetadata({}, metadataParam(params)),
    description: optionalString(params, 'description') ?? null,
  };
}

/** POST /v1/subscriptions (list, retrieve, update and cancel: subscriptions.ts). */
export function subscriptionCreateRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.post('/v1/subscriptions', (req, res) => {
    const params = requestParams(req);
    const spec = parseCreation(ctx, params);
    const subscription = createSubscriptionByApi(ctx, spec, requestMoment(ctx, req, res));
    respond(ctx, res, subscription, params);
  });
  return router;
}
