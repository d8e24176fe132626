import type Stripe from 'stripe';
import { formatMoney } from '../objects/invoice';
import { formatDate, html, humanStatus, page } from './html';

export function renderInvoicePage(invoice: Stripe.Invoice): string {
  const title = `Invoice ${invoice.number ?? invoice.id}`;
  return page(
    title,
    html` <h1>${title}</h1>
      <p class="price">${formatMoney(invoice.amount_due, invoice.currency)}</p>
      <p>Status: <strong data-testid="invoice-status">${humanStatus(invoice.status ?? 'draft')}</strong></p>
      <table>
        <tr>
          <th>Billed to</th>
          <td>${invoice.customer_email ?? String(invoice.customer ?? '')}</td>
        </tr>
        <tr>
          <th>Date</th>
          <td>${formatDate(invoice.created)}</td>
        </tr>
        ${invoice.lines.data.map(
          (line) =>
            html`<tr>
                <th>Item</th>
                <td>${line.description ?? ''} (${formatMoney(line.amount, invoice.currency)})</td>
              </tr>
              <tr>
                <th>Service period</th>
                <td>${formatDate(line.period.start)} – ${formatDate(line.period.end)}</td>
              </tr>`,
        )}
        <tr>
          <th>Amount paid</th>
          <td>${formatMoney(invoice.amount_paid, invoice.currency)}</td>
        </tr>
        <tr>
          <th>Amount remaining</th>
          <td>${formatMoney(invoice.amount_remaining, invoice.currency)}</td>
        </tr>
      </table>
      ${invoice.invoice_pdf ? html`<p><a href="${invoice.invoice_pdf}">Download PDF</a></p>` : ''}`,
  );
}
