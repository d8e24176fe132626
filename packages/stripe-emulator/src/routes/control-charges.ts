import { Router } from 'express';
import { openDisputeByControl } from '../billing/disputes';
import type { DisputeOptions } from '../billing/disputes';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { asParams, jsonBody } from '../form-parsing';
import { pathParam } from '../request-context';
import { wireCopy } from '../store';

function parseDisputeOptions(body: unknown): DisputeOptions {
  const params = asParams(body);
  const options: DisputeOptions = {};
  if (params.amount !== undefined) {
    if (typeof params.amount !== 'number') throw invalidRequest('amount must be a number', 'amount');
    options.amount = params.amount;
  }
  if (params.reason !== undefined) {
    if (typeof params.reason !== 'string' || params.reason === '') {
      throw invalidRequest('reason must be a string', 'reason');
    }
    options.reason = params.reason;
  }
  return options;
}

/**
 * POST /_emulator/charges/:id/dispute {amount?, reason?}: the cardholder's bank disputes a succeeded
 * card charge, as Stripe's test card 4000 0000 0000 0259 does by itself, so a test can dispute a
 * payment made with any card. Answers the new dispute and the charge (now `disputed`).
 */
export function chargeControlRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.use('/_emulator/charges', jsonBody);
  router.post('/_emulator/charges/:id/dispute', (req, res) => {
    const chargeId = pathParam(req, 'id');
    const dispute = openDisputeByControl(ctx, chargeId, parseDisputeOptions(req.body));
    res.json({ dispute: wireCopy(dispute), charge: wireCopy(ctx.store.charges.get(chargeId)) });
  });
  return router;
}
