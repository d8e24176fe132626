import { Router } from 'express';
import { payInvoiceWithCard } from '../billing/invoice-payment';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import { asParams, formBody, optionalString } from '../form-parsing';
import { pathParam } from '../request-context';
import { notFoundPage } from './checkout-routes';
import { renderInvoicePage } from './invoice-page';
import { renderInvoicePdf } from './invoice-pdf';

function pageUrl(ctx: EmulatorContext, invoiceId: string): string {
  return `${ctx.config.publicUrl}/invoices/${invoiceId}`;
}

/** hosted_invoice_url (with a Pay form while the invoice is open) and invoice_pdf targets. */
export function invoicePageRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/invoices/:id', (req, res) => {
    const invoice = ctx.store.invoices.get(pathParam(req, 'id'));
    if (!invoice) return notFoundPage(res, 'No such invoice.');
    res.type('html').send(renderInvoicePage(invoice, { actionUrl: pageUrl(ctx, invoice.id), error: null }));
  });

  /** The Pay button: paid → 303 back to the page (now "Paid"); declined → the page with role="alert". */
  router.post('/invoices/:id', formBody, (req, res) => {
    const invoice = ctx.store.invoices.get(pathParam(req, 'id'));
    if (!invoice) return notFoundPage(res, 'No such invoice.');
    const card = optionalString(asParams(req.body), 'card_number') ?? '';
    const result = payInvoiceWithCard(ctx, invoice, card, momentAt(ctx.clock.nowSeconds()));
    if (result.isPaid) return res.redirect(303, pageUrl(ctx, invoice.id));
    res
      .status(402)
      .type('html')
      .send(
        renderInvoicePage(invoice, {
          actionUrl: pageUrl(ctx, invoice.id),
          error: result.error,
          cardNumber: card,
        }),
      );
  });

  router.get('/invoices/:id/pdf', (req, res) => {
    const invoice = ctx.store.invoices.get(pathParam(req, 'id'));
    if (!invoice) return notFoundPage(res, 'No such invoice.');
    res
      .type('application/pdf')
      .setHeader('Content-Disposition', `inline; filename="${invoice.number ?? invoice.id}.pdf"`)
      .send(renderInvoicePdf(invoice));
  });

  return router;
}
