import { Router } from 'express';
import type { EmulatorContext } from '../context';
import { pathParam } from '../request-context';
import { notFoundPage } from './checkout-routes';
import { renderInvoicePage } from './invoice-page';
import { renderInvoicePdf } from './invoice-pdf';

/** hosted_invoice_url and invoice_pdf targets. */
export function invoicePageRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/invoices/:id', (req, res) => {
    const invoice = ctx.store.invoices.get(pathParam(req, 'id'));
    if (!invoice) return notFoundPage(res, 'No such invoice.');
    res.type('html').send(renderInvoicePage(invoice));
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
