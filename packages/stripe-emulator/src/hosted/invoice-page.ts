import type Stripe from 'stripe';
import { TEST_CARDS } from '../cards';
import { formatMoney } from '../objects/invoice';
import { cardNumberField, formatDate, html, humanStatus, page } from './html';

export interface InvoicePageForm {
  /** Where the Pay form posts (the page's own URL). */
  actionUrl: string;
  /** A declined card's message, shown in role="alert". */
  error: string | null;
  cardNumber?: string;
}

function payForm(form: InvoicePageForm) {
  return html`${form.error ? html`<div role="alert">${form.error}</div>` : ''}
    <form method="post" action="${form.actionUrl}">
      ${cardNumberField(form.cardNumber)}
      <button type="submit">Pay</button>
    </form>
    <details>
      <summary>Test cards</summary>
      <ul class="hint">
        <li>${TEST_CARDS.success}: succeeds</li>
        <li>${TEST_CARDS.declined}: declined (card_declined)</li>
        <li>${TEST_CARDS.insufficientFunds}: declined (insufficient_funds)</li>
      </ul>
    </details>`;
}

/** Stripe's hosted invoice page: the invoice, and a Pay form while it is open. */
export function renderInvoicePage(invoice: Stripe.Invoice, form: InvoicePageForm): string {
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
        ${
          invoice.due_date === null
            ? ''
            : html`<tr>
                <th>Due</th>
                <td data-testid="due-date">${formatDate(invoice.due_date)}</td>
              </tr>`
        }
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
      ${invoice.status === 'open' ? payForm(form) : ''}
      ${invoice.invoice_pdf ? html`<p><a href="${invoice.invoice_pdf}">Download PDF</a></p>` : ''}`,
  );
}
