import { describe, expect, it } from 'vitest';
import {
  parseDealDraft,
  parseFutureDate,
  parseSpendCap,
  parseWholeNumber,
  type DealDraft,
} from './action-rules';

const NOW = new Date('2026-03-10T12:00:00Z');
const deal: DealDraft = {
  runLimit: '50,000',
  dollars: '$1,999.99',
  interval: 'month',
  collection: 'send_invoice',
  daysUntilDue: '30',
};

describe('console action forms', () => {
  it('reads whole numbers within bounds', () => {
    expect(parseWholeNumber(' 1,000 ', 1, 1000, 'runs')).toEqual({ isValid: true, value: 1000 });
    expect(parseWholeNumber('1001', 1, 1000, 'runs')).toEqual({
      isValid: false,
      error: 'Enter runs: a whole number from 1 to 1,000.',
    });
    expect(parseWholeNumber('2.5', 1, 1000, 'runs').isValid).toBe(false);
    expect(parseWholeNumber('', 1, 1000, 'runs').isValid).toBe(false);
  });

  it('a date is 00:00 UTC that day, and must be in the future', () => {
    expect(parseFutureDate('2026-04-01', NOW, 'an expiry date')).toEqual({
      isValid: true,
      value: '2026-04-01T00:00:00.000Z',
    });
    expect(parseFutureDate('2026-03-10', NOW, 'an expiry date')).toEqual({
      isValid: false,
      error: 'An expiry date must be in the future.',
    });
    expect(parseFutureDate('', NOW, 'an expiry date')).toEqual({
      isValid: false,
      error: 'Choose an expiry date.',
    });
  });

  it('a deal billed by invoice: dollars to integer cents, with the days to pay', () => {
    expect(parseDealDraft(deal)).toEqual({
      isValid: true,
      value: {
        runLimit: 50_000,
        priceCents: 199_999,
        interval: 'month',
        collection: 'send_invoice',
        daysUntilDue: 30,
      },
    });
  });

  it('a deal charged to a card sends no days until due', () => {
    const parsed = parseDealDraft({ ...deal, collection: 'charge_automatically', daysUntilDue: '' });
    expect(parsed).toEqual({
      isValid: true,
      value: { runLimit: 50_000, priceCents: 199_999, interval: 'month', collection: 'charge_automatically' },
    });
  });

  it.each([
    [{ dollars: '0.99' }, 'Enter the price in dollars and whole cents, from $1 to $1,000,000.'],
    [{ dollars: '10.001' }, 'Enter the price in dollars and whole cents, from $1 to $1,000,000.'],
    [{ runLimit: '0' }, 'Enter the run limit: a whole number from 1 to 10,000,000.'],
    [{ daysUntilDue: '91' }, 'Enter the days to pay each invoice: a whole number from 1 to 90.'],
  ])('refuses %j', (change, error) => {
    expect(parseDealDraft({ ...deal, ...change })).toEqual({ isValid: false, error });
  });
});

describe('parseSpendCap', () => {
  it('reads dollars as integer cents, runs as a whole number, and empty as lifting the cap', () => {
    expect(parseSpendCap('money', '$1,250.5')).toEqual({
      isValid: true,
      value: { kind: 'money', cents: 125_050 },
    });
    expect(parseSpendCap('money', '0.10')).toEqual({ isValid: true, value: { kind: 'money', cents: 10 } });
    expect(parseSpendCap('runs', '2,000')).toEqual({ isValid: true, value: { kind: 'runs', runs: 2000 } });
    expect(parseSpendCap('runs', '  ')).toEqual({ isValid: true, value: null });
  });

  it('refuses what the server would refuse', () => {
    for (const [kind, text] of [
      ['money', '12.345'],
      ['money', 'ten'],
      ['money', '1000000.01'],
      ['runs', '1.5'],
      ['runs', '10000001'],
      ['runs', '-3'],
    ] as const) {
      expect(parseSpendCap(kind, text).isValid, `${kind} ${text}`).toBe(false);
    }
  });
});
