import { Router } from 'express';
import { payInvoiceByControl } from '../billing/invoice-payment';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { asParams, jsonBody } from '../form-parsing';
import { pathParam } from '../request-context';

/**
 * POST /_emulator/invoices/:id/pay {card?}: pays an open invoice like the hosted invoice page's Pay
 * button. A decline is a 200 answer with isPaid: false and the page's error; an unknown invoice a 404.
 */
export function invoiceControlRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.use('/_emulator/invoices', jsonBody);
  router.post('/_emulator/invoices/:id/pay', (req, res) => {
    const card = asParams(req.body).card;
    if (card !== undefined && typeof card !== 'string') throw invalidRequest('card must be a string', 'card');
    res.json(payInvoiceByControl(ctx, pathParam(req, 'id'), card === undefined ? {} : { card }));
  });
  return router;
}
