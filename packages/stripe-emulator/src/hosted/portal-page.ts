import type Stripe from 'stripe';
import { formatMoney } from '../objects/invoice';
import { cardBrand } from '../objects/payment-method';
import type { PaymentMethodRecord } from '../store';
import { pricePerInterval } from './checkout-page';
import { cardNumberField, formatDate, html, humanStatus, isoDate, page } from './html';
import type { SafeHtml } from './html';

export interface SwitchTarget {
  priceId: string;
  productName: string;
}

export interface PortalPageInput {
  session: Stripe.BillingPortal.Session;
  customer: Stripe.Customer;
  subscription: Stripe.Subscription | null;
  productName: string | null;
  /** A switch scheduled for the period end (the portal's scheduled downgrade). */
  scheduledSwitch: { productName: string; at: number } | null;
  card: PaymentMethodRecord | null;
  switchTargets: SwitchTarget[];
  invoices: Stripe.Invoice[];
  actionUrl: string;
  error: string | null;
  notice: string | null;
}

function actionButton(actionUrl: string, action: string, label: string, extra?: SafeHtml): SafeHtml {
  return html`<form class="inline" method="post" action="${actionUrl}">
    <input type="hidden" name="action" value="${action}" />${extra ?? ''}
    <button type="submit">${label}</button>
  </form>`;
}

function planSection(input: PortalPageInput): SafeHtml {
  const { subscription, actionUrl } = input;
  if (!subscription)
    return html`<h2>Current plan</h2>
      <p>No subscription.</p>`;
  const item = subscription.items.data[0];
  const isCanceled = subscription.status === 'canceled';
  const periodEnd = item?.current_period_end ?? null;
  const buttons: SafeHtml[] = [];
  if (!isCanceled && !subscription.cancel_at_period_end) {
    buttons.push(actionButton(actionUrl, 'cancel_at_period_end', 'Cancel at period end'));
  }
  if (!isCanceled) buttons.push(actionButton(actionUrl, 'cancel_now', 'Cancel now'));
  if (!isCanceled && subscription.cancel_at_period_end)
    buttons.push(actionButton(actionUrl, 'resume', 'Resume'));
  const scheduled = input.scheduledSwitch;
  if (!isCanceled && scheduled && item) {
    buttons.push(
      actionButton(
        actionUrl,
        'switch',
        `Keep ${input.productName ?? 'current plan'}`,
        html`<input type="hidden" name="price" value="${item.price.id}" />`,
      ),
    );
  }
  if (!isCanceled) {
    for (const target of input.switchTargets) {
      buttons.push(
        actionButton(
          actionUrl,
          'switch',
          `Switch to ${target.productName}`,
          html`<input type="hidden" name="price" value="${target.priceId}" />`,
        ),
      );
    }
  }
  return html`<h2>Current plan</h2>
    <p>
      <strong data-testid="current-plan">${input.productName ?? 'Unknown plan'}</strong>
      ${item ? html` · ${pricePerInterval(item.price, item.quantity ?? 1)}` : ''}
    </p>
    <p>Status: <span data-testid="subscription-status">${humanStatus(subscription.status)}</span></p>
    ${
      periodEnd !== null && !isCanceled
        ? html`<p>
            ${subscription.cancel_at_period_end ? 'Cancels on' : 'Current period ends'}
            <time data-testid="period-end" datetime="${isoDate(periodEnd)}">${formatDate(periodEnd)}</time>
          </p>`
        : ''
    }
    ${
      scheduled && !isCanceled
        ? html`<p data-testid="scheduled-switch">
            Switches to ${scheduled.productName} on
            <time datetime="${isoDate(scheduled.at)}">${formatDate(scheduled.at)}</time>
          </p>`
        : ''
    }
    ${isCanceled && subscription.ended_at ? html`<p>Canceled on ${formatDate(subscription.ended_at)}.</p>` : ''}
    <div>${buttons}</div>`;
}

function invoiceRows(invoices: Stripe.Invoice[]): SafeHtml {
  if (invoices.length === 0) return html`<p class="hint">No invoices yet.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th>Date</th>
        <th>Number</th>
        <th>Amount</th>
        <th>Status</th>
      </tr>
    </thead>
    <tbody>
      ${invoices.map(
        (invoice) =>
          html`<tr>
            <td>${formatDate(invoice.created)}</td>
            <td>
              ${invoice.hosted_invoice_url ? html`<a href="${invoice.hosted_invoice_url}">${invoice.number ?? invoice.id}</a>` : (invoice.number ?? invoice.id)}
            </td>
            <td>${formatMoney(invoice.amount_due, invoice.currency)}</td>
            <td>${humanStatus(invoice.status ?? 'draft')}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function renderPortalPage(input: PortalPageInput): string {
  const { customer, card, session } = input;
  return page(
    'Billing portal',
    html` <h1>Manage your subscription</h1>
      <p class="hint">${customer.email ?? customer.id}</p>
      ${input.notice ? html`<div role="status">${input.notice}</div>` : ''}
      ${input.error ? html`<div role="alert">${input.error}</div>` : ''}
      <section>${planSection(input)}</section>
      <section>
        <h2>Payment method</h2>
        <p data-testid="card">
          ${card ? `${cardBrand(card.number)} •••• ${card.last4}` : 'No card on file.'}
        </p>
        <form method="post" action="${input.actionUrl}">
          <input type="hidden" name="action" value="update_card" />
          ${cardNumberField()}
          <button type="submit">Update card</button>
        </form>
      </section>
      <section>
        <h2>Invoices</h2>
        ${invoiceRows(input.invoices)}
      </section>
      ${session.return_url ? html`<p><a href="${session.return_url}">Return</a></p>` : ''}`,
  );
}
