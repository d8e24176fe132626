import { Router } from 'express';
import { setDefaultCardByControl } from '../billing/default-card';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { asParams, jsonBody } from '../form-parsing';
import { pathParam } from '../request-context';
import { wireCopy } from '../store';

/**
 * /_emulator/customers/:id/*: arrange a customer's state for a test without a browser, e.g. the card on
 * file that an off-session PaymentIntent will charge.
 */
export function customerControlRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.use('/_emulator/customers', jsonBody);

  router.post('/_emulator/customers/:id/default-card', (req, res) => {
    const card = asParams(req.body).card;
    if (typeof card !== 'string' || card === '') throw invalidRequest('card must be a card number', 'card');
    const customerId = pathParam(req, 'id');
    const paymentMethod = setDefaultCardByControl(ctx, customerId, card);
    res.json({ paymentMethod, customer: wireCopy(ctx.store.customers.get(customerId)) });
  });

  return router;
}
