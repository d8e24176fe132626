import { Router } from 'express';
import type { EmulatorContext } from '../context';
import { resourceMissing } from '../errors';
import { optionalString, stringArrayParam } from '../form-parsing';
import { paginate } from '../list';
import { toPaymentMethod } from '../objects/payment-method';
import { pathParam, requestParams } from '../request-context';
import { respond } from '../respond';

/** Events (for handlers that re-fetch what they were sent) and the cards saved by checkout/portal. */
export function eventRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/v1/events', (req, res) => {
    const params = requestParams(req);
    const type = optionalString(params, 'type');
    const types = stringArrayParam(params, 'types');
    const events = [...ctx.store.events.values()].filter(
      (event) => (!type || event.type === type) && (types.length === 0 || types.includes(event.type)),
    );
    respond(ctx, res, paginate(events, params, '/v1/events'), params);
  });

  router.get('/v1/events/:id', (req, res) => {
    const id = pathParam(req, 'id');
    const event = ctx.store.events.get(id);
    if (!event) throw resourceMissing('event', id);
    respond(ctx, res, event, requestParams(req));
  });

  router.get('/v1/payment_methods/:id', (req, res) => {
    const id = pathParam(req, 'id');
    const record = ctx.store.paymentMethods.get(id);
    if (!record) throw resourceMissing('payment_method', id);
    respond(ctx, res, toPaymentMethod(record), requestParams(req));
  });

  return router;
}
