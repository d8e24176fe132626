import { Router } from 'express';
import type Stripe from 'stripe';
import {
  customerIdOf,
  customerPaymentMethod,
  getCustomer,
  getPrice,
  getSubscription,
} from '../billing/lookups';
import { invoiceBeforeCancel } from '../billing/final-invoice';
import { changeQuantity, PRORATION_BEHAVIORS } from '../billing/quantity-changes';
import type { QuantityChangeOptions } from '../billing/quantity-changes';
import { assertLive, changeSubscriptionPrice } from '../billing/subscription-changes';
import {
  cancelSubscription,
  setCancelAtPeriodEnd,
  updateSubscription,
} from '../billing/subscription-updates';
import { assertNoScheduleForCancellation } from '../billing/subscription-schedules';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import {
  applyMetadata,
  arrayParam,
  asParams,
  metadataParam,
  optionalBoolean,
  optionalInteger,
  optionalString,
} from '../form-parsing';
import type { Params } from '../form-parsing';
import { paginate } from '../list';
import { firstItem } from '../objects/subscription';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import { parseCollection, requireInvoiceEmail } from './subscription-collection';
import type { CollectionSettings } from './subscription-collection';

function quantityChangeOptions(params: Params): QuantityChangeOptions {
  const behavior = optionalString(params, 'proration_behavior') ?? 'create_prorations';
  const prorationBehavior = PRORATION_BEHAVIORS.find((known) => known === behavior);
  if (!prorationBehavior) {
    throw invalidRequest(
      `Invalid proration_behavior: must be one of ${PRORATION_BEHAVIORS.join(', ')}.`,
      'proration_behavior',
    );
  }
  return { prorationBehavior, prorationDate: optionalInteger(params, 'proration_date') };
}

function applyItemChange(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  params: Params,
  moment: Moment,
): void {
  const items = arrayParam(params, 'items');
  if (items.length === 0) return;
  if (items.length > 1) {
    throw invalidRequest('The Stripe emulator supports one item per subscription.', 'items');
  }
  const item = asParams(items[0]);
  const itemId = optionalString(item, 'id');
  // Without items[0][id] Stripe ADDS a second item (billing both prices): almost always a bug.
  if (itemId !== firstItem(subscription).id) {
    throw invalidRequest(
      `items[0][id] must be the subscription's item (${firstItem(subscription).id}); without it Stripe would add a second item. The emulator supports one item per subscription.`,
      'items[0][id]',
    );
  }
  if (optionalBoolean(item, 'deleted')) {
    throw invalidRequest('Deleting the only subscription item is not supported.', 'items[0][deleted]');
  }
  const priceId = optionalString(item, 'price');
  const quantity = optionalInteger(item, 'quantity');
  if (!priceId && quantity === undefined) return;
  const options = quantityChangeOptions(params);
  const price = priceId ? getPrice(ctx, priceId, 'items[0][price]') : firstItem(subscription).price;
  if (price.type !== 'recurring') {
    throw invalidRequest(
      'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
      'items[0][price]',
    );
  }
  // A new price is switched without proration (subscription-changes.ts); a quantity alone is prorated.
  if (price.id !== firstItem(subscription).price.id) {
    changeSubscriptionPrice(ctx, subscription, price, moment, quantity);
    return;
  }
  if (quantity !== undefined) changeQuantity(ctx, subscription, quantity, options, moment);
}

/** collection_method / days_until_due changes; they apply to invoices finalized from now on. */
function collectionChange(subscription: Stripe.Subscription, params: Params): CollectionSettings | null {
  if (params.collection_method === undefined && params.days_until_due === undefined) return null;
  assertLive(subscription);
  return parseCollection(params, {
    collectionMethod: subscription.collection_method,
    daysUntilDue: subscription.days_until_due,
  });
}

export function subscriptionRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/v1/subscriptions', (req, res) => {
    const params = requestParams(req);
    const customer = optionalString(params, 'customer');
    const price = optionalString(params, 'price');
    const status = optionalString(params, 'status');
    const subscriptions = [...ctx.store.subscriptions.values()].filter((subscription) => {
      if (customer && customerIdOf(subscription) !== customer) return false;
      if (price && firstItem(subscription).price.id !== price) return false;
      // like Stripe, canceled subscriptions are listed only when asked for (status=canceled or all)
      if (!status) return subscription.status !== 'canceled';
      return status === 'all' || subscription.status === status;
    });
    respond(ctx, res, paginate(subscriptions, params, '/v1/subscriptions'), params);
  });

  router.get('/v1/subscriptions/:id', (req, res) => {
    respond(ctx, res, getSubscription(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.post('/v1/subscriptions/:id', (req, res) => {
    const params = requestParams(req);
    const subscription = getSubscription(ctx, pathParam(req, 'id'));
    const moment = requestMoment(ctx, req, res);
    // validated before anything changes
    if (params.cancel_at_period_end !== undefined || params.cancel_at !== undefined) {
      assertNoScheduleForCancellation(ctx, subscription);
    }
    const collection = collectionChange(subscription, params);
    if (collection) requireInvoiceEmail(collection, getCustomer(ctx, customerIdOf(subscription)));
    const metadata = metadataParam(params);
    if (metadata !== undefined) {
      updateSubscription(ctx, subscription, moment, (sub) => {
        sub.metadata = applyMetadata(sub.metadata, metadata);
      });
    }
    applyItemChange(ctx, subscription, params, moment);
    const defaultPaymentMethod = optionalString(params, 'default_payment_method');
    if (defaultPaymentMethod !== undefined) {
      assertLive(subscription);
      customerPaymentMethod(ctx, defaultPaymentMethod, customerIdOf(subscription));
      updateSubscription(ctx, subscription, moment, (sub) => {
        sub.default_payment_method = defaultPaymentMethod;
      });
    }
    if (collection) {
      updateSubscription(ctx, subscription, moment, (sub) => {
        sub.collection_method = collection.collectionMethod;
        sub.days_until_due = collection.daysUntilDue;
      });
    }
    const cancelAtPeriodEnd = optionalBoolean(params, 'cancel_at_period_end');
    if (cancelAtPeriodEnd !== undefined && cancelAtPeriodEnd !== subscription.cancel_at_period_end) {
      assertLive(subscription);
      setCancelAtPeriodEnd(ctx, subscription, cancelAtPeriodEnd, moment);
    }
    respond(ctx, res, subscription, params);
  });

  router.delete('/v1/subscriptions/:id', (req, res) => {
    const params = requestParams(req);
    const subscription = getSubscription(ctx, pathParam(req, 'id'));
    if (subscription.status === 'canceled') {
      throw invalidRequest(
        `This subscription has already been canceled (${subscription.id}).`,
        undefined,
        'subscription_canceled',
      );
    }
    const moment = requestMoment(ctx, req, res);
    if (optionalBoolean(params, 'invoice_now') === true) invoiceBeforeCancel(ctx, subscription, moment);
    cancelSubscription(ctx, subscription, moment, 'cancellation_requested');
    respond(ctx, res, subscription, params);
  });

  return router;
}
