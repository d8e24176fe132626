import { Router } from 'express';
import { getPrice, getSubscription } from '../billing/lookups';
import { assertLive } from '../billing/subscription-changes';
import { updateSubscription } from '../billing/subscription-updates';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { requireString } from '../form-parsing';
import { newId } from '../ids';
import { buildSubscriptionItem, firstItem } from '../objects/subscription';
import { requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';

/**
 * POST /v1/subscription_items: adds a metered price (billed in arrears from its meter at each
 * renewal) next to a subscription's licensed item. Other second items are refused: the emulator
 * bills one licensed item per subscription.
 */
export function subscriptionItemRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/subscription_items', (req, res) => {
    const params = requestParams(req);
    const subscription = getSubscription(ctx, requireString(params, 'subscription'), 'subscription');
    assertLive(subscription);
    const price = getPrice(ctx, requireString(params, 'price'), 'price');
    if (price.recurring?.usage_type !== 'metered') {
      throw invalidRequest(
        'The Stripe emulator adds only metered prices as a second subscription item.',
        'price',
      );
    }
    if (params.quantity !== undefined) {
      throw invalidRequest('Quantity should not be specified where usage_type is `metered`.', 'quantity');
    }
    if (subscription.items.data.some((item) => item.price.id === price.id)) {
      throw invalidRequest(`The price ${price.id} is already on subscription ${subscription.id}.`, 'price');
    }
    const licensed = firstItem(subscription);
    const item = buildSubscriptionItem(subscription.id, newId('si'), price, 0, ctx.clock.nowSeconds(), {
      start: licensed.current_period_start,
      end: licensed.current_period_end,
    });
    delete item.quantity;
    updateSubscription(ctx, subscription, requestMoment(ctx, req, res), (sub) => {
      sub.items.data.push(item);
    });
    respond(ctx, res, item, params);
  });

  return router;
}
