import { Router } from 'express';
import { getCustomer } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { optionalString, requireString } from '../form-parsing';
import { newId } from '../ids';
import { buildPortalSession } from '../objects/portal-session';
import { requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';

export function portalRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/billing_portal/sessions', (req, res) => {
    const params = requestParams(req);
    const customer = getCustomer(ctx, requireString(params, 'customer'));
    const id = newId('bps');
    const session = buildPortalSession({
      id,
      created: ctx.clock.nowSeconds(),
      customer: customer.id,
      returnUrl: optionalString(params, 'return_url') ?? null,
      url: `${ctx.config.publicUrl}/portal/${id}`,
    });
    ctx.store.portalSessions.set(id, session);
    ctx.events.emit('billing_portal.session.created', session, requestMoment(ctx, req, res));
    respond(ctx, res, session, params);
  });

  return router;
}
