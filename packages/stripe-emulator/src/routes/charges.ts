import { Router } from 'express';
import { getCharge } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import { applyMetadata, metadataParam, optionalString } from '../form-parsing';
import { paginate } from '../list';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import { wireCopy } from '../store';

/** Charges are made by PaymentIntents (checkout, confirm); the API reads them and edits their metadata. */
export function chargeRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/v1/charges', (req, res) => {
    const params = requestParams(req);
    const customer = optionalString(params, 'customer');
    const intent = optionalString(params, 'payment_intent');
    const charges = [...ctx.store.charges.values()].filter(
      (charge) =>
        (!customer || charge.customer === customer) && (!intent || charge.payment_intent === intent),
    );
    respond(ctx, res, paginate(charges, params, '/v1/charges'), params);
  });

  router.get('/v1/charges/:id', (req, res) => {
    respond(ctx, res, getCharge(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.post('/v1/charges/:id', (req, res) => {
    const params = requestParams(req);
    const charge = getCharge(ctx, pathParam(req, 'id'));
    const before = wireCopy(charge);
    charge.metadata = applyMetadata(charge.metadata, metadataParam(params));
    const description = optionalString(params, 'description');
    if (description !== undefined) charge.description = description === '' ? null : description;
    const previous = previousAttributes(before, charge);
    if (previous) ctx.events.emit('charge.updated', charge, requestMoment(ctx, req, res), previous);
    respond(ctx, res, charge, params);
  });

  return router;
}
