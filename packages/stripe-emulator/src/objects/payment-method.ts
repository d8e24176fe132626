import type Stripe from 'stripe';
import { newId } from '../ids';
import type { PaymentMethodRecord, Store } from '../store';

export function cardBrand(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(number) || /^2[2-7]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'unknown';
}

export function toPaymentMethod(record: PaymentMethodRecord): Stripe.PaymentMethod {
  const brand = cardBrand(record.number);
  return {
    id: record.id,
    object: 'payment_method',
    allow_redisplay: 'always',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    card: {
      brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: brand,
      exp_month: 12,
      exp_year: new Date(record.created * 1000).getUTCFullYear() + 5,
      funding: 'credit',
      generated_from: null,
      last4: record.last4,
      networks: { available: [brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: record.created,
    customer: record.customer,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

/** Stores a card (already normalized and approved) as a new payment method of the customer; returns its id. */
export function savePaymentMethod(store: Store, customerId: string, number: string, created: number): string {
  const id = newId('pm');
  store.paymentMethods.set(id, { id, customer: customerId, number, last4: number.slice(-4), created });
  return id;
}
