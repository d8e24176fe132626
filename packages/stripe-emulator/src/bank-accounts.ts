/**
 * The one bank account the hosted checkout offers for a delayed payment (us_bank_account, ACH Direct
 * Debit, Stripe's test routing and account numbers). Its outcome is not decided by the number: the
 * payment stays `processing` until a control call resolves it (see billing/payment-checkout.ts).
 */
export const TEST_BANK_ACCOUNT = {
  bankName: 'STRIPE TEST BANK',
  routingNumber: '110000000',
  accountNumber: '000123456789',
} as const;
