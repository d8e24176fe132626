import { Router } from 'express';
import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { formatMoney } from '../objects/money';
import { pathParam } from '../request-context';
import { notFoundPage } from './checkout-routes';
import { formatDate, html, humanStatus, page } from './html';

function paymentMethodLine(charge: Stripe.Charge): string {
  const details = charge.payment_method_details;
  if (details?.card) return `${details.card.brand ?? 'card'} •••• ${details.card.last4 ?? ''}`;
  if (details?.us_bank_account)
    return `${details.us_bank_account.bank_name ?? 'bank'} •••• ${details.us_bank_account.last4 ?? ''}`;
  return 'Unknown payment method';
}

function renderReceipt(charge: Stripe.Charge): string {
  const title = `Receipt ${charge.id}`;
  return page(
    title,
    html`<h1>Receipt</h1>
      <p class="price" data-testid="amount">${formatMoney(charge.amount, charge.currency)}</p>
      <table>
        <tr>
          <th>Date paid</th>
          <td>${formatDate(charge.created)}</td>
        </tr>
        <tr>
          <th>Payment method</th>
          <td>${paymentMethodLine(charge)}</td>
        </tr>
        <tr>
          <th>Status</th>
          <td data-testid="status">${humanStatus(charge.refunded ? 'refunded' : charge.status)}</td>
        </tr>
        ${
          charge.amount_refunded > 0
            ? html`<tr>
                <th>Refunded</th>
                <td data-testid="refunded">${formatMoney(charge.amount_refunded, charge.currency)}</td>
              </tr>`
            : ''
        }
        ${
          charge.description
            ? html`<tr>
                <th>Description</th>
                <td>${charge.description}</td>
              </tr>`
            : ''
        }
      </table>`,
  );
}

/** charge.receipt_url: a plain HTML receipt that follows later refunds. */
export function receiptPageRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.get('/receipts/:id', (req, res) => {
    const charge = ctx.store.charges.get(pathParam(req, 'id'));
    if (!charge || charge.receipt_url === null) return notFoundPage(res, 'No such receipt.');
    res.type('html').send(renderReceipt(charge));
  });
  return router;
}
