import { formatCount } from '../../lib/format';
import type { SpendCap } from './spend.api';

/** The server's bounds (billing.updateSpendSettings' cap): $1,000,000 or 10,000,000 runs a month. */
export const MAX_CAP_CENTS = 100_000_000;
export const MAX_CAP_RUNS = 10_000_000;

export type CapKind = 'none' | SpendCap['kind'];

/** The cap form as typed: which kind, and the amount of each (kept while the user switches kinds). */
export interface CapDraft {
  kind: CapKind;
  dollars: string;
  runs: string;
}

export type CapParse = { isValid: true; cap: SpendCap | null } | { isValid: false; error: string };

// Whole cents: "12", "12.5", "12.50", ".5"; thousands separators and a "$" are accepted and dropped.
const DOLLARS = /^(\d*)(?:\.(\d{1,2}))?$/;
const WHOLE = /^\d+$/;

/**
 * "$1,234.5" → 123450 cents, in integers (the digits are read as strings, never as a float); null when
 * it isn't an amount of whole cents (a third decimal, a minus sign, letters).
 */
export function dollarsToCents(text: string): number | null {
  const cleaned = text.trim().replace(/^\$/, '').replace(/,/g, '');
  const match = DOLLARS.exec(cleaned);
  if (!match || cleaned === '' || cleaned === '.') return null;
  const dollars = match[1] ?? '';
  const cents = (match[2] ?? '').padEnd(2, '0');
  if (dollars.length > 9) return null;
  return Number(dollars || '0') * 100 + Number(cents);
}

/** 2550 → "25.50", 500 → "5": what the amount field shows for a stored cap. */
export function centsToDollarsText(cents: number): string {
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(2, '0')}`;
}

export function toCapDraft(cap: SpendCap | null): CapDraft {
  return {
    kind: cap?.kind ?? 'none',
    dollars: cap?.kind === 'money' ? centsToDollarsText(cap.cents) : '',
    runs: cap?.kind === 'runs' ? String(cap.runs) : '',
  };
}

/** Checks the form as the server will: whole cents or whole runs, from 0 up to the bound. */
export function parseCapDraft(draft: CapDraft): CapParse {
  if (draft.kind === 'none') return { isValid: true, cap: null };
  if (draft.kind === 'money') {
    const cents = dollarsToCents(draft.dollars);
    if (cents === null || cents > MAX_CAP_CENTS) {
      return {
        isValid: false,
        error: `Enter an amount in dollars and whole cents, from $0 to $${formatCount(MAX_CAP_CENTS / 100)}.`,
      };
    }
    return { isValid: true, cap: { kind: 'money', cents } };
  }
  const trimmed = draft.runs.trim().replace(/,/g, '');
  const runs = WHOLE.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(runs >= 0 && runs <= MAX_CAP_RUNS)) {
    return {
      isValid: false,
      error: `Enter a whole number of runs, from 0 to ${formatCount(MAX_CAP_RUNS)}.`,
    };
  }
  return { isValid: true, cap: { kind: 'runs', runs } };
}
