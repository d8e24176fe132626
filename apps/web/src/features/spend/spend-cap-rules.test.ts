import { describe, expect, it } from 'vitest';
import {
  MAX_CAP_CENTS,
  MAX_CAP_RUNS,
  centsToDollarsText,
  dollarsToCents,
  parseCapDraft,
  toCapDraft,
} from './spend-cap-rules';

describe('spend cap rules', () => {
  it.each([
    ['0.25', 25],
    ['.5', 50],
    ['1', 100],
    ['1.5', 150],
    ['$1,234.56', 123456],
    [' 0 ', 0],
    // 0.29 * 100 is 28.999999999999996 in floats: the digits are read as text.
    ['0.29', 29],
    ['1000000', 100_000_000],
  ])('reads "%s" as %i cents', (text, cents) => {
    expect(dollarsToCents(text)).toBe(cents);
  });

  it.each(['', '.', '1.255', '-1', '1e3', 'abc', '1.2.3', '12345678901'])(
    'refuses "%s" (not whole cents from 0)',
    (text) => {
      expect(dollarsToCents(text)).toBeNull();
    },
  );

  it('writes a stored cap back as the field shows it', () => {
    expect(centsToDollarsText(2550)).toBe('25.50');
    expect(centsToDollarsText(25)).toBe('0.25');
    expect(centsToDollarsText(500)).toBe('5');
    expect(toCapDraft({ kind: 'money', cents: 25 })).toEqual({ kind: 'money', dollars: '0.25', runs: '' });
    expect(toCapDraft({ kind: 'runs', runs: 40 })).toEqual({ kind: 'runs', dollars: '', runs: '40' });
    expect(toCapDraft(null)).toEqual({ kind: 'none', dollars: '', runs: '' });
  });

  it('checks the cap as the server does: whole cents or runs, from 0 up to the bound', () => {
    expect(parseCapDraft({ kind: 'none', dollars: 'junk', runs: '' })).toEqual({ isValid: true, cap: null });
    expect(parseCapDraft({ kind: 'money', dollars: '0.25', runs: '' })).toEqual({
      isValid: true,
      cap: { kind: 'money', cents: 25 },
    });
    expect(parseCapDraft({ kind: 'money', dollars: '0', runs: '' })).toEqual({
      isValid: true,
      cap: { kind: 'money', cents: 0 },
    });
    expect(parseCapDraft({ kind: 'runs', dollars: '', runs: '1,000' })).toEqual({
      isValid: true,
      cap: { kind: 'runs', runs: 1000 },
    });
    expect(parseCapDraft({ kind: 'money', dollars: '0.255', runs: '' })).toEqual({
      isValid: false,
      error: 'Enter an amount in dollars and whole cents, from $0 to $1,000,000.',
    });
    expect(parseCapDraft({ kind: 'money', dollars: String(MAX_CAP_CENTS / 100 + 1), runs: '' }).isValid).toBe(
      false,
    );
    expect(parseCapDraft({ kind: 'runs', dollars: '', runs: '2.5' })).toEqual({
      isValid: false,
      error: 'Enter a whole number of runs, from 0 to 10,000,000.',
    });
    expect(parseCapDraft({ kind: 'runs', dollars: '', runs: '-1' }).isValid).toBe(false);
    expect(parseCapDraft({ kind: 'runs', dollars: '', runs: String(MAX_CAP_RUNS + 1) }).isValid).toBe(false);
    expect(parseCapDraft({ kind: 'runs', dollars: '', runs: '' }).isValid).toBe(false);
  });
});
