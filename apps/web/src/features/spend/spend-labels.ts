import { runsWithinMoney, type SpendCapReached } from '@tollgate/domain';
import { formatCount, formatMoney, formatShortDate, pluralize } from '../../lib/format';
import type { SpendCap, SpendOverview } from './spend.api';

const DECIMAL_CENTS = /^(\d+)(?:\.(\d+))?$/;

/**
 * A price in cents given as Stripe's `unit_amount_decimal` ("12.5") in dollars ("$0.125"), exactly:
 * the decimal point moves two places in the string, no float ever holds the amount. At least two
 * decimals, as money is written; more only when the price has them.
 */
export function formatDecimalCents(unitAmountDecimal: string, currency = 'usd'): string {
  const match = DECIMAL_CENTS.exec(unitAmountDecimal);
  if (!match) return unitAmountDecimal;
  const whole = (match[1] ?? '0').padStart(3, '0');
  const dollars = whole.slice(0, -2).replace(/^0+(?=\d)/, '');
  const fraction = `${whole.slice(-2)}${match[2] ?? ''}`.replace(/0+$/, '').padEnd(2, '0');
  // The whole dollars through Intl (symbol and thousands separators), the exact fraction appended.
  const prefix = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    maximumFractionDigits: 0,
  }).format(BigInt(dollars));
  return `${prefix}.${fraction}`;
}

/** "$0.125 per run past your plan and credits". */
export function perRunPriceText(overage: SpendOverview['overage']): string {
  return `${formatDecimalCents(overage.unitAmountDecimal, overage.currency)} per run past your plan and credits`;
}

/** "12 runs · $1.50 this period". */
export function spentText(overageRuns: number, spentCents: number, currency = 'usd'): string {
  return `${pluralize(overageRuns, 'run')} · ${formatMoney(spentCents, currency)} this period`;
}

/** "At this pace: $4.50 by Dec 31". */
export function forecastText(forecast: { cents: number; by: string | Date }, currency = 'usd'): string {
  return `At this pace: ${formatMoney(forecast.cents, currency)} by ${formatShortDate(forecast.by)}`;
}

/** "$0.25 a month (2 runs)" or "100 runs a month": a money cap says how many runs it allows. */
export function capText(cap: SpendCap, unitAmountDecimal: string, currency = 'usd'): string {
  if (cap.kind === 'runs') return `${pluralize(cap.runs, 'run')} a month`;
  const runs = runsWithinMoney(cap.cents, unitAmountDecimal);
  return `${formatMoney(cap.cents, currency)} a month (${pluralize(runs, 'run')})`;
}

/** The header's "Overage: 12 runs ($1.50)". */
export function overageNoteText(overageRuns: number, spentCents: number, currency = 'usd'): string {
  return `Overage: ${pluralize(overageRuns, 'run')} (${formatMoney(spentCents, currency)})`;
}

/** "3 of 5 purchases this month". */
export function purchasesText(purchases: number, monthlyLimit: number | null): string {
  if (monthlyLimit === null) return `${pluralize(purchases, 'purchase')} this month`;
  return `${formatCount(purchases)} of ${pluralize(monthlyLimit, 'purchase')} this month`;
}

/**
 * The last auto top-up that didn't go through, in words: the server says "declined: card_declined" or
 * "failed: <code>" (Stripe's code kept, for support).
 */
export function topUpFailureText(lastFailure: string): string {
  const [status, ...rest] = lastFailure.split(': ');
  const code = rest.join(': ');
  const detail = code && code !== 'unknown' ? ` (${code})` : '';
  if (status === 'declined') return `The last purchase was declined${detail}.`;
  if (status === 'failed') return `The last purchase failed${detail}.`;
  return `The last purchase didn't go through: ${lastFailure}.`;
}

/**
 * What a SPEND_CAP_REACHED 402 says was spent: "Spent past your plan this period: $0.25 of your cap,
 * $0.25 (2 runs)." or, for a cap in runs, "Runs past your plan this period: 2 of your cap, 2 runs ($0.25)."
 */
export function capReachedText(spendCap: SpendCapReached, currency = 'usd'): string {
  const whose = spendCap.setBy === 'operator' ? 'the cap support set' : 'your cap';
  if (spendCap.capCents !== null) {
    return `Spent past your plan this period: ${formatMoney(spendCap.spentCents, currency)} of ${whose}, ${formatMoney(spendCap.capCents, currency)} (${pluralize(spendCap.overageRuns, 'run')}).`;
  }
  return `Runs past your plan this period: ${formatCount(spendCap.overageRuns)} of ${whose}, ${pluralize(spendCap.capRuns, 'run')} (${formatMoney(spendCap.spentCents, currency)}).`;
}
