import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { TEST_BANK_ACCOUNT } from '../bank-accounts';
import { newId } from '../ids';
import type { PaymentMethodRecord, PaymentMethodType, Store } from '../store';

export function cardBrand(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(number) || /^2[2-7]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'unknown';
}

/** Stripe's fingerprint: the same card (or account) always gets the same one, on every object. */
export function fingerprintOf(number: string): string {
  return createHash('sha256').update(number).digest('base64url').replace(/[-_]/g, '').slice(0, 16);
}

export function paymentMethodTypeOf(record: PaymentMethodRecord): PaymentMethodType {
  return record.type ?? 'card';
}

/** Cards expire five years after they were saved: far enough for any test. */
export function cardExpiryYear(record: PaymentMethodRecord): number {
  return new Date(record.created * 1000).getUTCFullYear() + 5;
}

function cardDetails(record: PaymentMethodRecord): Stripe.PaymentMethod.Card {
  const brand = cardBrand(record.number);
  return {
    brand,
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
    country: 'US',
    display_brand: brand,
    exp_month: 12,
    exp_year: cardExpiryYear(record),
    fingerprint: fingerprintOf(record.number),
    funding: 'credit',
    generated_from: null,
    last4: record.last4,
    networks: { available: [brand], preferred: null },
    regulated_status: 'unregulated',
    three_d_secure_usage: { supported: true },
    wallet: null,
  };
}

function bankAccountDetails(record: PaymentMethodRecord): Stripe.PaymentMethod.UsBankAccount {
  return {
    account_holder_type: 'individual',
    account_type: 'checking',
    bank_name: TEST_BANK_ACCOUNT.bankName,
    financial_connections_account: null,
    fingerprint: fingerprintOf(record.number),
    last4: record.last4,
    networks: { preferred: 'ach', supported: ['ach'] },
    routing_number: TEST_BANK_ACCOUNT.routingNumber,
    status_details: null,
  };
}

export function toPaymentMethod(record: PaymentMethodRecord): Stripe.PaymentMethod {
  const type = paymentMethodTypeOf(record);
  return {
    id: record.id,
    object: 'payment_method',
    allow_redisplay: record.customer === null ? 'unspecified' : 'always',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    ...(type === 'card' ? { card: cardDetails(record) } : { us_bank_account: bankAccountDetails(record) }),
    created: record.created,
    customer: record.customer,
    customer_account: null,
    livemode: false,
    metadata: {},
    type,
  };
}

/**
 * Stores a card (already normalized and approved) or a test bank account as a new payment method and
 * returns its id. `customerId` null: the method of a one-time payment, not attached to anyone.
 */
export function savePaymentMethod(
  store: Store,
  customerId: string | null,
  number: string,
  created: number,
  type: PaymentMethodType = 'card',
): string {
  const id = newId('pm');
  store.paymentMethods.set(id, { id, customer: customerId, number, last4: number.slice(-4), created, type });
  return id;
}
