import { formatCount } from '../../lib/format';
import { dollarsToCents } from '../spend/spend-cap-rules';
import type { EnterpriseDealInput, SpendCapInput } from './console.api';

// The server's bounds on a cap (spend-schemas.ts): $1,000,000 or 10,000,000 runs a month.
const MAX_CAP_CENTS = 100_000_000;
const MAX_CAP_RUNS = 10_000_000;

export type Parsed<T> = { isValid: true; value: T } | { isValid: false; error: string };

const WHOLE = /^\d{1,9}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** "1,000" → 1000, within [min, max]; the error names the bounds. */
export function parseWholeNumber(text: string, min: number, max: number, what: string): Parsed<number> {
  const cleaned = text.trim().replace(/,/g, '');
  const value = WHOLE.test(cleaned) ? Number(cleaned) : Number.NaN;
  if (!(value >= min && value <= max)) {
    return {
      isValid: false,
      error: `Enter ${what}: a whole number from ${formatCount(min)} to ${formatCount(max)}.`,
    };
  }
  return { isValid: true, value };
}

/**
 * A date field ("2026-04-01") → the ISO instant of 00:00 UTC that day: staff and the server agree on
 * UTC dates whatever the browser's time zone. Must be after `now`.
 */
export function parseFutureDate(text: string, now: Date, what: string): Parsed<string> {
  const date = DATE.test(text) ? new Date(`${text}T00:00:00.000Z`) : null;
  if (!date || Number.isNaN(date.getTime())) return { isValid: false, error: `Choose ${what}.` };
  if (date.getTime() <= now.getTime())
    return { isValid: false, error: `${capitalize(what)} must be in the future.` };
  return { isValid: true, value: date.toISOString() };
}

/** The ENTERPRISE deal form as typed. */
export interface DealDraft {
  runLimit: string;
  dollars: string;
  interval: EnterpriseDealInput['interval'];
  collection: EnterpriseDealInput['collection'];
  daysUntilDue: string;
}

const MIN_PRICE_CENTS = 100;
const MAX_PRICE_CENTS = 100_000_000;

/** Checks the deal as admin.createEnterpriseDeal will; the price goes from dollars to cents in integers. */
export function parseDealDraft(draft: DealDraft): Parsed<Omit<EnterpriseDealInput, 'reason'>> {
  const runLimit = parseWholeNumber(draft.runLimit, 1, 10_000_000, 'the run limit');
  if (!runLimit.isValid) return runLimit;
  const priceCents = dollarsToCents(draft.dollars);
  if (priceCents === null || priceCents < MIN_PRICE_CENTS || priceCents > MAX_PRICE_CENTS) {
    return { isValid: false, error: 'Enter the price in dollars and whole cents, from $1 to $1,000,000.' };
  }
  const base = {
    runLimit: runLimit.value,
    priceCents,
    interval: draft.interval,
    collection: draft.collection,
  };
  if (draft.collection === 'charge_automatically') return { isValid: true, value: base };
  const days = parseWholeNumber(draft.daysUntilDue, 1, 90, 'the days to pay each invoice');
  if (!days.isValid) return days;
  return { isValid: true, value: { ...base, daysUntilDue: days.value } };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The cap an operator types: dollars (decimal text, never a float) or overage runs; empty lifts it. */
export function parseSpendCap(kind: 'money' | 'runs', text: string): Parsed<SpendCapInput['cap']> {
  if (text.trim() === '') return { isValid: true, value: null };
  if (kind === 'runs') {
    const runs = parseWholeNumber(text, 0, MAX_CAP_RUNS, 'the cap in runs');
    return runs.isValid ? { isValid: true, value: { kind: 'runs', runs: runs.value } } : runs;
  }
  const cents = dollarsToCents(text);
  if (cents === null || cents > MAX_CAP_CENTS) {
    return { isValid: false, error: 'Enter the cap in dollars, e.g. 250 or 99.50 (at most $1,000,000).' };
  }
  return { isValid: true, value: { kind: 'money', cents } };
}
