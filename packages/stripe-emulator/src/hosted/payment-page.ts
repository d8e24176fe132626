import type Stripe from 'stripe';
import { TEST_BANK_ACCOUNT } from '../bank-accounts';
import { TEST_CARDS } from '../cards';
import { formatMoney } from '../objects/money';
import { cardNumberField, html, page } from './html';

export interface PaymentPageLine {
  name: string;
  quantity: number;
  amount: number;
}

export interface PaymentPageInput {
  session: Stripe.Checkout.Session;
  lines: PaymentPageLine[];
  actionUrl: string;
  cancelActionUrl: string;
  error: string | null;
  cardNumber: string;
  isEmailNeeded: boolean;
}

/**
 * The bank account button's label avoids the word "Pay", so getByRole('button', { name: 'Pay' })
 * (a substring match in Playwright) still finds exactly one button.
 */
export const BANK_ACCOUNT_BUTTON = 'Use test bank account (delayed)';

function title(lines: PaymentPageLine[]): string {
  const [first] = lines;
  if (lines.length === 1 && first)
    return first.quantity > 1 ? `${first.quantity} × ${first.name}` : first.name;
  return `${lines.length} items`;
}

/** The hosted checkout page of a payment-mode session: the items, the total, a card and a bank option. */
export function renderPaymentPage(input: PaymentPageInput): string {
  const { session } = input;
  const currency = session.currency ?? 'usd';
  const isBankAccepted = session.payment_method_types.includes('us_bank_account');
  return page(
    `Pay for ${title(input.lines)}`,
    html` <h1>Pay for ${title(input.lines)}</h1>
      <p class="price" data-testid="price">${formatMoney(session.amount_total ?? 0, currency)}</p>
      ${
        input.lines.length > 1
          ? html`<table>
              ${input.lines.map(
                (line) =>
                  html`<tr>
                    <td>${line.name}</td>
                    <td>× ${line.quantity}</td>
                    <td>${formatMoney(line.amount, currency)}</td>
                  </tr>`,
              )}
            </table>`
          : ''
      }
      ${input.error ? html`<div role="alert">${input.error}</div>` : ''}
      <form method="post" action="${input.actionUrl}">
        ${
          input.isEmailNeeded
            ? html`<label for="email">Email</label>
                <input id="email" name="email" type="email" autocomplete="email" required />`
            : ''
        }
        ${cardNumberField(input.cardNumber)}
        <button type="submit" name="payment_method_type" value="card">Pay</button>
        ${
          isBankAccepted
            ? html`<button
                type="submit"
                name="payment_method_type"
                value="us_bank_account"
                class="secondary"
                formnovalidate
              >
                ${BANK_ACCOUNT_BUTTON}
              </button>`
            : ''
        }
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
          <li>${TEST_CARDS.disputed}: succeeds, then is disputed as fraudulent</li>
          ${
            isBankAccepted
              ? html`<li>
                  ${BANK_ACCOUNT_BUTTON}: ${TEST_BANK_ACCOUNT.bankName} ••••
                  ${TEST_BANK_ACCOUNT.accountNumber.slice(-4)}; the payment stays processing until POST
                  /_emulator/checkout/sessions/${session.id}/delayed-payment {"outcome": "succeeded" |
                  "failed"}
                </li>`
              : ''
          }
        </ul>
      </details>`,
  );
}
