import { describe, expect, it } from 'vitest';
import { attachOutcome, chargeOutcome, isLuhnValid, normalizeCardNumber, TEST_CARDS } from './cards';

describe('test cards', () => {
  it('approves 4242 and any other Luhn-valid number', () => {
    expect(chargeOutcome(TEST_CARDS.success, true).isApproved).toBe(true);
    expect(chargeOutcome('5555555555554444', false).isApproved).toBe(true);
  });

  it('declines 0002 with card_declined and 9995 with insufficient_funds', () => {
    expect(chargeOutcome(TEST_CARDS.declined, true)).toMatchObject({
      code: 'card_declined',
      declineCode: 'generic_decline',
    });
    expect(chargeOutcome(TEST_CARDS.insufficientFunds, true)).toMatchObject({
      declineCode: 'insufficient_funds',
    });
  });

  it('lets 0341 pay at checkout but fails later charges', () => {
    expect(attachOutcome(TEST_CARDS.failsLater).isApproved).toBe(true);
    expect(chargeOutcome(TEST_CARDS.failsLater, true).isApproved).toBe(true);
    expect(chargeOutcome(TEST_CARDS.failsLater, false).isApproved).toBe(false);
  });

  it('rejects numbers that fail the Luhn check', () => {
    expect(isLuhnValid('4242424242424241')).toBe(false);
    expect(chargeOutcome('1234', true)).toMatchObject({ code: 'incorrect_number' });
    expect(normalizeCardNumber('4242 4242-4242 4242')).toBe(TEST_CARDS.success);
  });
});
