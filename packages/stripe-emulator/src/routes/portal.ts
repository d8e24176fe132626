import { Router } from 'express';
import { getCustomer } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { optionalString, requireString } from '../form-parsing';
import { newId } from '../ids';
import { buildPortalSession } from '../objects/portal-session';
import { requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import { getPortalConfiguration } from './portal-configurations';

export function portalRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/billing_portal/sessions', (req, res) => {
    const params = requestParams(req);
    const customer = getCustomer(ctx, requireString(params, 'customer'));
    const configurationId = optionalString(params, 'configuration');
    const configuration = configurationId ? getPortalConfiguration(ctx, configurationId) : null;
    if (configuration && !configuration.active) {
      throw invalidRequest(
        `The configuration ${configuration.id} is inactive: activate it or use another.`,
        'configuration',
      );
    }
    const id = newId('bps');
    const session = buildPortalSession({
      id,
      created: ctx.clock.nowSeconds(),
      customer: customer.id,
      returnUrl: optionalString(params, 'return_url') ?? null,
      url: `${ctx.config.publicUrl}/portal/${id}`,
      configuration: configuration?.id ?? null,
    });
    ctx.store.portalSessions.set(id, session);
    ctx.events.emit('billing_portal.session.created', session, requestMoment(ctx, req, res));
    respond(ctx, res, session, params);
  });

  return router;
}
