import { describe, expect, it } from 'vitest';
import { formatShortDate } from '../../lib/format';
import {
  capReachedText,
  capText,
  forecastText,
  formatDecimalCents,
  overageNoteText,
  perRunPriceText,
  purchasesText,
  spentText,
  topUpFailureText,
} from './spend-labels';

describe('spend labels', () => {
  it.each([
    ['12.5', '$0.125'],
    ['10', '$0.10'],
    ['150', '$1.50'],
    ['100', '$1.00'],
    ['0.5', '$0.005'],
    ['7', '$0.07'],
    ['12.50', '$0.125'],
    ['123456.789', '$1,234.56789'],
    // Twelve decimals, as Stripe allows: no float would keep all of them.
    ['0.000000000001', '$0.00000000000001'],
  ])('writes a unit_amount_decimal of %s cents as %s, exactly', (decimal, dollars) => {
    expect(formatDecimalCents(decimal)).toBe(dollars);
  });

  it('says the price per overage run', () => {
    expect(
      perRunPriceText({
        enabled: false,
        isAvailable: true,
        unavailableReason: null,
        unitAmountDecimal: '12.5',
        currency: 'usd',
      }),
    ).toBe('$0.125 per run past your plan and credits');
  });

  it('says what was spent, the forecast and the header note', () => {
    expect(spentText(12, 150)).toBe('12 runs · $1.50 this period');
    expect(spentText(1, 13)).toBe('1 run · $0.13 this period');
    const by = '2026-12-31T12:00:00.000Z';
    expect(forecastText({ cents: 450, by })).toBe(`At this pace: $4.50 by ${formatShortDate(by)}`);
    expect(overageNoteText(12, 150)).toBe('Overage: 12 runs ($1.50)');
  });

  it('says a cap in money with the runs it allows (rounded down), or in runs', () => {
    expect(capText({ kind: 'money', cents: 25 }, '12.5')).toBe('$0.25 a month (2 runs)');
    expect(capText({ kind: 'money', cents: 30 }, '12.5')).toBe('$0.30 a month (2 runs)');
    expect(capText({ kind: 'money', cents: 0 }, '12.5')).toBe('$0.00 a month (0 runs)');
    expect(capText({ kind: 'runs', runs: 1000 }, '12.5')).toBe('1,000 runs a month');
  });

  it("says a reached cap's spend, whoever set it", () => {
    const reached = {
      capRuns: 2,
      capCents: 25,
      setBy: 'account' as const,
      overageRuns: 2,
      spentCents: 25,
      raiseUrl: 'http://localhost/settings/subscription?cap=1',
    };
    expect(capReachedText(reached)).toBe(
      'Spent past your plan this period: $0.25 of your cap, $0.25 (2 runs).',
    );
    expect(
      capReachedText({ ...reached, capCents: null, capRuns: 40, overageRuns: 40, spentCents: 500 }),
    ).toBe('Runs past your plan this period: 40 of your cap, 40 runs ($5.00).');
    expect(capReachedText({ ...reached, setBy: 'operator' })).toContain('of the cap support set, $0.25');
  });

  it('says auto top-up purchases and failures in words', () => {
    expect(purchasesText(1, 3)).toBe('1 of 3 purchases this month');
    expect(purchasesText(0, null)).toBe('0 purchases this month');
    expect(topUpFailureText('declined: card_declined')).toBe(
      'The last purchase was declined (card_declined).',
    );
    expect(topUpFailureText('failed: unknown')).toBe('The last purchase failed.');
  });
});
