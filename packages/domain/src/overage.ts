import type { PlanId } from './plans';
import { MS_PER_DAY } from './time';

/**
 * Overage: runs past the plan's allowance and the account's credits, for accounts that opted in,
 * billed per run through a metered Stripe price (Billing Meters) on the plan's subscription.
 *
 * The price is a decimal number of cents, as Stripe's `unit_amount_decimal` (up to 12 decimal places):
 * every amount derived from it is computed in integers (BigInt), never in floats.
 */
export const OVERAGE_PRICE = Object.freeze({
  /** Cents per run, Stripe's unit_amount_decimal: $0.125 per run. */
  unitAmountDecimal: '12.5',
  currency: 'usd' as const,
  /** The Stripe meter's event_name (the meter sums `value` per customer). */
  meterEventName: 'tollgate_overage_runs',
  /** lookup_key of the metered price, so a deployment finds it at Stripe. */
  lookupKey: 'tollgate_overage_run',
});

/** Plans whose subscription carries the metered price: overage can be billed only with one of them. */
export const OVERAGE_PLAN_IDS: readonly PlanId[] = Object.freeze(['BASIC', 'PRO', 'TEAM']);

export function isOverageBillable(plan: PlanId): boolean {
  return OVERAGE_PLAN_IDS.includes(plan);
}

/** A cap on overage spend, in money (whole cents, tax excluded) or in overage runs. */
export type SpendCap = { kind: 'money'; cents: number } | { kind: 'runs'; runs: number };

/** A decimal string of cents as an exact fraction numerator / 10^scale. */
interface Decimal {
  numerator: bigint;
  scale: bigint;
}

const DECIMAL_PATTERN = /^(\d{1,12})(?:\.(\d{1,12}))?$/;

export function parseUnitAmountDecimal(value: string): Decimal {
  const match = DECIMAL_PATTERN.exec(value);
  if (!match) throw new RangeError(`Not a unit_amount_decimal: ${JSON.stringify(value)}`);
  // The digits without the point are the numerator; the fraction's length is the scale's exponent.
  const numerator = BigInt(match.slice(1).join(''));
  if (numerator === 0n) throw new RangeError('A price per run must be more than 0');
  return { numerator, scale: 10n ** BigInt((match[2] ?? '').length) };
}

/** Runs a money cap allows: ⌊cents ÷ price per run⌋, exact. */
export function runsWithinMoney(cents: number, unitAmountDecimal: string): number {
  assertWholeCount(cents, 'cents');
  const price = parseUnitAmountDecimal(unitAmountDecimal);
  return Number((BigInt(cents) * price.scale) / price.numerator);
}

/** Overage runs a cap allows. */
export function capRuns(cap: SpendCap, unitAmountDecimal: string): number {
  return cap.kind === 'runs' ? cap.runs : runsWithinMoney(cap.cents, unitAmountDecimal);
}

/**
 * The cap in force: the stricter (fewer runs) of the account's and the operator's, and whose it is.
 * null: no cap (overage is bounded only by the plan's billing).
 */
export function effectiveCap(
  caps: { account: SpendCap | null; operator: SpendCap | null },
  unitAmountDecimal: string,
): { runs: number; setBy: 'account' | 'operator' } | null {
  const account = caps.account ? capRuns(caps.account, unitAmountDecimal) : null;
  const operator = caps.operator ? capRuns(caps.operator, unitAmountDecimal) : null;
  if (account === null && operator === null) return null;
  if (operator === null || (account !== null && account <= operator)) {
    return { runs: account ?? 0, setBy: 'account' };
  }
  return { runs: operator, setBy: 'operator' };
}

/**
 * What `runs` overage runs cost in cents, rounded half up to a whole cent (as Stripe rounds a metered
 * line's amount): exact for any decimal price.
 */
export function overageAmountCents(runs: number, unitAmountDecimal: string): number {
  assertWholeCount(runs, 'runs');
  const price = parseUnitAmountDecimal(unitAmountDecimal);
  const scaled = BigInt(runs) * price.numerator;
  return Number((scaled * 2n + price.scale) / (price.scale * 2n));
}

/**
 * At this pace, what the period's overage will cost by its end: the spend so far extended linearly
 * over the elapsed part of the period. null when nothing was spent or no time elapsed yet.
 */
export function forecastOverageCents(input: {
  spentCents: number;
  periodStart: Date;
  periodEnd: Date;
  now: Date;
}): { cents: number; by: Date } | null {
  const elapsed = input.now.getTime() - input.periodStart.getTime();
  const length = input.periodEnd.getTime() - input.periodStart.getTime();
  // Nothing spent, an empty period, or less than an hour in (a pace measured over minutes says nothing).
  if (input.spentCents <= 0 || length <= 0 || elapsed < MS_PER_DAY / 24) return null;
  const cents = Math.round((input.spentCents * Math.max(length, elapsed)) / elapsed);
  return { cents, by: input.periodEnd };
}

function assertWholeCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
  }
}
