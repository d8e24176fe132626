/**
 * Stripe's test cards, as far as Tollgate's flows need them. Any other number that passes the Luhn
 * check behaves like 4242 4242 4242 4242.
 */
export const TEST_CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  /** Can be saved and pays at checkout, but every later charge is declined. */
  failsLater: '4000000000000341',
  /** Pays, then the payment is disputed as fraudulent at once (billing/disputes.ts). */
  disputed: '4000000000000259',
} as const;

/** Stripe's test PaymentMethod tokens (pm_card_visa, …), as accepted by PaymentIntent confirmation. */
export const TEST_PAYMENT_METHOD_TOKENS: Readonly<Record<string, string>> = {
  pm_card_visa: TEST_CARDS.success,
  pm_card_mastercard: '5555555555554444',
  pm_card_chargeDeclined: TEST_CARDS.declined,
  pm_card_visa_chargeDeclined: TEST_CARDS.declined,
  pm_card_chargeDeclinedInsufficientFunds: TEST_CARDS.insufficientFunds,
  pm_card_visa_chargeDeclinedInsufficientFunds: TEST_CARDS.insufficientFunds,
  pm_card_createDispute: TEST_CARDS.disputed,
};

export type CardOutcome =
  | { isApproved: true }
  | {
      isApproved: false;
      code: 'card_declined' | 'incorrect_number';
      declineCode: string | null;
      message: string;
    };

const APPROVED: CardOutcome = { isApproved: true };

const GENERIC_DECLINE: CardOutcome = {
  isApproved: false,
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
};

const INSUFFICIENT_FUNDS: CardOutcome = {
  isApproved: false,
  code: 'card_declined',
  declineCode: 'insufficient_funds',
  message: 'Your card has insufficient funds.',
};

const INCORRECT_NUMBER: CardOutcome = {
  isApproved: false,
  code: 'incorrect_number',
  declineCode: null,
  message: 'Your card number is incorrect.',
};

export function normalizeCardNumber(raw: string): string {
  return raw.replace(/[\s-]/g, '');
}

export function isLuhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i += 1) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Saving a card (checkout with a trial, portal "Update card"): only hard declines fail. */
export function attachOutcome(number: string): CardOutcome {
  if (!isLuhnValid(number)) return INCORRECT_NUMBER;
  if (number === TEST_CARDS.declined) return GENERIC_DECLINE;
  return APPROVED;
}

/** Charging a saved or entered card. `isFirstCharge`: the payment made on the checkout page. */
export function chargeOutcome(number: string, isFirstCharge: boolean): CardOutcome {
  const attached = attachOutcome(number);
  if (!attached.isApproved) return attached;
  if (number === TEST_CARDS.insufficientFunds) return INSUFFICIENT_FUNDS;
  if (number === TEST_CARDS.failsLater && !isFirstCharge) return GENERIC_DECLINE;
  return APPROVED;
}
