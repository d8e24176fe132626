import { randomInt } from 'node:crypto';
import type Stripe from 'stripe';
import { TEST_BANK_ACCOUNT } from '../bank-accounts';
import type { PaymentMethodRecord } from '../store';
import { cardBrand, cardExpiryYear, fingerprintOf, paymentMethodTypeOf } from './payment-method';

/** A 15-digit network transaction id, as card networks return for an authorization. */
function networkTransactionId(): string {
  return String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000, 999_999));
}

function cardDetails(
  record: PaymentMethodRecord,
  amount: number,
  isAuthorized: boolean,
): Stripe.Charge.PaymentMethodDetails.Card {
  const brand = cardBrand(record.number);
  return {
    amount_authorized: isAuthorized ? amount : null,
    authorization_code: null,
    brand,
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
    country: 'US',
    electronic_commerce_indicator: null,
    exp_month: 12,
    exp_year: cardExpiryYear(record),
    extended_authorization: { status: 'disabled' },
    fingerprint: fingerprintOf(record.number),
    funding: 'credit',
    incremental_authorization: { status: 'unavailable' },
    installments: null,
    last4: record.last4,
    mandate: null,
    multicapture: { status: 'unavailable' },
    network: brand,
    network_token: { used: false },
    network_transaction_id: isAuthorized ? networkTransactionId() : null,
    overcapture: { maximum_amount_capturable: amount, status: 'unavailable' },
    regulated_status: 'unregulated',
    three_d_secure: null,
    transaction_link_id: null,
    wallet: null,
  };
}

function bankAccountDetails(record: PaymentMethodRecord): Stripe.Charge.PaymentMethodDetails.UsBankAccount {
  return {
    account_holder_type: 'individual',
    account_type: 'checking',
    bank_name: TEST_BANK_ACCOUNT.bankName,
    fingerprint: fingerprintOf(record.number),
    last4: record.last4,
    payment_reference: null,
    routing_number: TEST_BANK_ACCOUNT.routingNumber,
  };
}

/** A charge's snapshot of the payment method it was made with (`isAuthorized`: the card was not declined). */
export function paymentMethodDetails(
  record: PaymentMethodRecord,
  amount: number,
  isAuthorized: boolean,
): Stripe.Charge.PaymentMethodDetails {
  if (paymentMethodTypeOf(record) === 'us_bank_account') {
    return { type: 'us_bank_account', us_bank_account: bankAccountDetails(record) };
  }
  return { type: 'card', card: cardDetails(record, amount, isAuthorized) };
}
