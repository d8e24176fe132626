import type Stripe from 'stripe';
import { TEST_CARDS } from '../cards';
import { formatMoney } from '../objects/invoice';
import { cardNumberField, html, page } from './html';

export interface CheckoutPageInput {
  session: Stripe.Checkout.Session;
  price: Stripe.Price;
  productName: string;
  quantity: number;
  trialPeriodDays: number | null;
  actionUrl: string;
  cancelActionUrl: string;
  error: string | null;
  cardNumber: string;
  isEmailNeeded: boolean;
}

export function pricePerInterval(price: Stripe.Price, quantity = 1): string {
  const interval = price.recurring?.interval ?? 'month';
  return `${formatMoney((price.unit_amount ?? 0) * quantity, price.currency)} per ${interval}`;
}

export function renderCheckoutPage(input: CheckoutPageInput): string {
  const { session, price } = input;
  const trial = input.trialPeriodDays;
  return page(
    `Subscribe to ${input.productName}`,
    html` <h1>Subscribe to ${input.productName}</h1>
      <p class="price" data-testid="price">${pricePerInterval(price, input.quantity)}</p>
      ${trial ? html`<p>${trial}-day free trial, then ${pricePerInterval(price, input.quantity)}. You won't be charged today.</p>` : ''}
      ${input.error ? html`<div role="alert">${input.error}</div>` : ''}
      <form method="post" action="${input.actionUrl}">
        ${
          input.isEmailNeeded
            ? html`<label for="email">Email</label>
                <input id="email" name="email" type="email" autocomplete="email" required />`
            : ''
        }
        ${cardNumberField(input.cardNumber)}
        <button type="submit">Pay</button>
      </form>
      ${
        session.cancel_url
          ? html`<form method="post" action="${input.cancelActionUrl}">
              <button type="submit" class="secondary">Cancel</button>
            </form>`
          : ''
      }
      <details>
        <summary>Test cards</summary>
        <ul class="hint">
          <li>${TEST_CARDS.success}: succeeds</li>
          <li>${TEST_CARDS.declined}: declined (card_declined)</li>
          <li>${TEST_CARDS.insufficientFunds}: declined (insufficient_funds)</li>
          <li>${TEST_CARDS.failsLater}: succeeds now, later charges fail</li>
        </ul>
      </details>`,
  );
}

function doneMessage(session: Stripe.Checkout.Session): { title: string; text: string } {
  if (session.status === 'expired') {
    return {
      title: 'Checkout session expired',
      text: 'This checkout session has expired. Start a new checkout from the app.',
    };
  }
  if (session.mode === 'subscription') {
    return { title: 'Payment complete', text: 'Thank you! Your subscription is active.' };
  }
  if (session.payment_status === 'unpaid') {
    return {
      title: 'Payment processing',
      text: 'Thank you! Your bank payment is processing; you will be notified once it clears.',
    };
  }
  return { title: 'Payment complete', text: 'Thank you! Your payment was received.' };
}

export function renderCheckoutDonePage(session: Stripe.Checkout.Session, continueUrl: string | null): string {
  const { title, text } = doneMessage(session);
  return page(
    title,
    html` <h1>${title}</h1>
      <p>${text}</p>
      ${continueUrl ? html`<p><a href="${continueUrl}">Continue</a></p>` : ''}`,
  );
}
