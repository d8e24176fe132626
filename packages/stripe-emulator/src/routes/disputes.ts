import { Router } from 'express';
import { closeDispute, updateDispute } from '../billing/dispute-responses';
import { getDispute } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { applyMetadata, asParams, metadataParam, optionalBoolean, optionalString } from '../form-parsing';
import type { Params } from '../form-parsing';
import { paginate } from '../list';
import { EVIDENCE_FIELDS } from '../objects/dispute';
import { idOf } from '../objects/id-of';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';

/** evidence[field]=text: an empty value unsets the field; fields Stripe doesn't have are ignored. */
function evidenceParam(params: Params): Record<string, string | null> | null {
  if (params.evidence === undefined) return null;
  const raw = asParams(params.evidence);
  const evidence: Record<string, string | null> = {};
  for (const field of EVIDENCE_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw invalidRequest(`Invalid string: evidence[${field}]`, `evidence[${field}]`);
    }
    evidence[field] = value === '' ? null : value;
  }
  return evidence;
}

/** Disputes of charges: retrieve, list (`charge`, `payment_intent`), update (evidence, metadata, submit), close. */
export function disputeRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/v1/disputes', (req, res) => {
    const params = requestParams(req);
    const charge = optionalString(params, 'charge');
    const intent = optionalString(params, 'payment_intent');
    const disputes = [...ctx.store.disputes.values()].filter(
      (dispute) =>
        (!charge || idOf(dispute.charge) === charge) && (!intent || idOf(dispute.payment_intent) === intent),
    );
    respond(ctx, res, paginate(disputes, params, '/v1/disputes'), params);
  });

  router.get('/v1/disputes/:id', (req, res) => {
    respond(ctx, res, getDispute(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.post('/v1/disputes/:id', (req, res) => {
    const params = requestParams(req);
    const dispute = getDispute(ctx, pathParam(req, 'id'));
    const metadata = metadataParam(params);
    updateDispute(
      ctx,
      dispute,
      {
        evidence: evidenceParam(params),
        metadata: metadata === undefined ? null : applyMetadata(dispute.metadata, metadata),
        submit: optionalBoolean(params, 'submit') ?? null,
      },
      requestMoment(ctx, req, res),
    );
    respond(ctx, res, dispute, params);
  });

  router.post('/v1/disputes/:id/close', (req, res) => {
    const params = requestParams(req);
    const dispute = getDispute(ctx, pathParam(req, 'id'));
    closeDispute(ctx, dispute, requestMoment(ctx, req, res));
    respond(ctx, res, dispute, params);
  });

  return router;
}
