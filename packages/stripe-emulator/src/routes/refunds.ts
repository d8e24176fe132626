import { Router } from 'express';
import type Stripe from 'stripe';
import { getCharge, getPaymentIntent, getRefund } from '../billing/lookups';
import { emitRefundUpdate, refundCharge } from '../billing/refunds';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { applyMetadata, metadataParam, optionalInteger, optionalString } from '../form-parsing';
import type { Params } from '../form-parsing';
import { paginate } from '../list';
import { idOf } from '../objects/id-of';
import { REFUND_REASONS } from '../objects/refund';
import type { RefundReason } from '../objects/refund';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import { wireCopy } from '../store';

/** The charge to refund: `charge`, or the successful charge of `payment_intent` (both: they must match). */
function chargeToRefund(ctx: EmulatorContext, params: Params): Stripe.Charge {
  const chargeId = optionalString(params, 'charge');
  const intentId = optionalString(params, 'payment_intent');
  if (chargeId) {
    const charge = getCharge(ctx, chargeId, 'charge');
    if (intentId && idOf(charge.payment_intent) !== intentId) {
      throw invalidRequest(
        `Charge ${chargeId} does not belong to PaymentIntent ${intentId}.`,
        'payment_intent',
      );
    }
    return charge;
  }
  if (!intentId) {
    throw invalidRequest(
      'One of the following params should be provided for this request: payment_intent or charge.',
      undefined,
      'parameter_missing',
    );
  }
  const intent = getPaymentIntent(ctx, intentId, 'payment_intent');
  const latest = idOf(intent.latest_charge);
  const charge = latest ? ctx.store.charges.get(latest) : undefined;
  if (intent.status !== 'succeeded' || !charge) {
    throw invalidRequest(
      `This PaymentIntent (${intentId}) does not have a successful charge to refund.`,
      'payment_intent',
      'charge_not_refundable',
    );
  }
  return charge;
}

function parseReason(params: Params): RefundReason | null {
  const reason = optionalString(params, 'reason');
  if (reason === undefined || reason === '') return null;
  const known = REFUND_REASONS.find((candidate) => candidate === reason);
  if (!known) {
    throw invalidRequest(
      `Invalid reason: must be one of ${REFUND_REASONS.join(', ')}`,
      'reason',
      'parameter_invalid_string',
    );
  }
  return known;
}

/** Refunds of charges: create (full or partial), retrieve, list, update metadata. */
export function refundRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/refunds', (req, res) => {
    const params = requestParams(req);
    const charge = chargeToRefund(ctx, params);
    const amount = optionalInteger(params, 'amount');
    if (amount !== undefined && amount < 1) {
      throw invalidRequest('Invalid positive integer', 'amount', 'parameter_invalid_integer');
    }
    const refund = refundCharge(
      ctx,
      {
        charge,
        amount: amount ?? null,
        reason: parseReason(params),
        metadata: applyMetadata({}, metadataParam(params)),
      },
      requestMoment(ctx, req, res),
    );
    respond(ctx, res, refund, params);
  });

  router.get('/v1/refunds', (req, res) => {
    const params = requestParams(req);
    const charge = optionalString(params, 'charge');
    const intent = optionalString(params, 'payment_intent');
    const refunds = [...ctx.store.refunds.values()].filter(
      (refund) => (!charge || refund.charge === charge) && (!intent || refund.payment_intent === intent),
    );
    respond(ctx, res, paginate(refunds, params, '/v1/refunds'), params);
  });

  router.get('/v1/refunds/:id', (req, res) => {
    respond(ctx, res, getRefund(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.post('/v1/refunds/:id', (req, res) => {
    const params = requestParams(req);
    const refund = getRefund(ctx, pathParam(req, 'id'));
    const before = wireCopy(refund);
    refund.metadata = applyMetadata(refund.metadata ?? {}, metadataParam(params));
    emitRefundUpdate(ctx, refund, before, requestMoment(ctx, req, res));
    respond(ctx, res, refund, params);
  });

  return router;
}
