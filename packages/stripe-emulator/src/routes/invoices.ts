import { Router } from 'express';
import { getInvoice } from '../billing/lookups';
import { attemptInvoicePayment } from '../billing/payments';
import type { EmulatorContext } from '../context';
import { invalidRequest, StripeApiError } from '../errors';
import { optionalString } from '../form-parsing';
import { paginate } from '../list';
import { invoiceSubscriptionId } from '../objects/invoice';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';

export function invoiceRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/v1/invoices', (req, res) => {
    const params = requestParams(req);
    const customer = optionalString(params, 'customer');
    const subscription = optionalString(params, 'subscription');
    const status = optionalString(params, 'status');
    const invoices = [...ctx.store.invoices.values()].filter(
      (invoice) =>
        (!customer || invoice.customer === customer) &&
        (!subscription || invoiceSubscriptionId(invoice) === subscription) &&
        (!status || invoice.status === status),
    );
    respond(ctx, res, paginate(invoices, params, '/v1/invoices'), params);
  });

  router.get('/v1/invoices/:id', (req, res) => {
    respond(ctx, res, getInvoice(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.get('/v1/invoices/:id/lines', (req, res) => {
    const params = requestParams(req);
    const invoice = getInvoice(ctx, pathParam(req, 'id'));
    respond(ctx, res, paginate(invoice.lines.data, params, invoice.lines.url), params);
  });

  /** Pays an open invoice now with the subscription's card (a manual retry). */
  router.post('/v1/invoices/:id/pay', (req, res) => {
    const params = requestParams(req);
    const invoice = getInvoice(ctx, pathParam(req, 'id'));
    if (invoice.status !== 'open') {
      throw invalidRequest(`Invoice is already ${invoice.status}.`, undefined, 'invoice_not_open');
    }
    const outcome = attemptInvoicePayment(ctx, invoice, requestMoment(ctx, req, res), 'manual');
    if (!outcome.isApproved) {
      throw new StripeApiError({
        status: 402,
        type: 'card_error',
        code: outcome.code,
        declineCode: outcome.declineCode ?? undefined,
        message: outcome.message,
      });
    }
    respond(ctx, res, invoice, params);
  });

  return router;
}
