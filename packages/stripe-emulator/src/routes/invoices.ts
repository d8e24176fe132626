import { Router } from 'express';
import type Stripe from 'stripe';
import { customerPaymentMethod, getInvoice, subscriptionOfInvoice } from '../billing/lookups';
import { voidInvoice } from '../billing/invoice-void';
import { activateAfterPayment, attemptInvoicePayment, markInvoicePaid } from '../billing/payments';
import { TEST_PAYMENT_METHOD_TOKENS } from '../cards';
import type { EmulatorContext } from '../context';
import { invalidRequest, StripeApiError } from '../errors';
import type { Moment } from '../events';
import { optionalBoolean, optionalString } from '../form-parsing';
import { paginate } from '../list';
import { idOf } from '../objects/id-of';
import { invoiceSubscriptionId } from '../objects/invoice';
import { savePaymentMethod } from '../objects/payment-method';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import type { PaymentMethodRecord } from '../store';

/** invoices.pay's payment_method: a test token becomes a new card; a saved one must be the customer's. */
function invoicePaymentMethod(
  ctx: EmulatorContext,
  invoice: Stripe.Invoice,
  methodId: string,
  moment: Moment,
): PaymentMethodRecord {
  const tokenNumber = TEST_PAYMENT_METHOD_TOKENS[methodId];
  const customerId = idOf(invoice.customer) ?? '';
  if (!tokenNumber) return customerPaymentMethod(ctx, methodId, customerId, 'payment_method');
  const saved = ctx.store.paymentMethods.get(
    savePaymentMethod(ctx.store, customerId, tokenNumber, moment.at),
  );
  if (!saved) throw new Error(`payment method for ${methodId} was not saved`);
  return saved;
}

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

  /**
   * Pays an open invoice now (a manual attempt, outside the retry schedule): with `payment_method` (a
   * card of the invoice's customer, or a test token such as pm_card_visa), else the subscription's or
   * the customer's default card. `paid_out_of_band=true` marks it paid without charging (money received
   * outside Stripe, e.g. a bank transfer for a send_invoice invoice).
   */
  router.post('/v1/invoices/:id/pay', (req, res) => {
    const params = requestParams(req);
    const invoice = getInvoice(ctx, pathParam(req, 'id'));
    if (invoice.status !== 'open') {
      throw invalidRequest(`Invoice is already ${invoice.status}.`, undefined, 'invoice_not_open');
    }
    const moment = requestMoment(ctx, req, res);
    if (optionalBoolean(params, 'paid_out_of_band')) {
      markInvoicePaid(ctx, invoice, moment);
      activateAfterPayment(ctx, subscriptionOfInvoice(ctx, invoice), moment);
      respond(ctx, res, invoice, params);
      return;
    }
    const methodId = optionalString(params, 'payment_method');
    const card = methodId === undefined ? undefined : invoicePaymentMethod(ctx, invoice, methodId, moment);
    const payment = card ? { card, isOnSession: false } : undefined;
    const outcome = attemptInvoicePayment(ctx, invoice, moment, 'manual', payment);
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

  /** Voids an open (or uncollectible) invoice for good; its subscription's status follows (invoice-void.ts). */
  router.post('/v1/invoices/:id/void', (req, res) => {
    const params = requestParams(req);
    const invoice = getInvoice(ctx, pathParam(req, 'id'));
    voidInvoice(ctx, invoice, requestMoment(ctx, req, res));
    respond(ctx, res, invoice, params);
  });

  return router;
}
