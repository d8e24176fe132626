/**
 * Ratios are kept exact, as two integers, and rounded once for display. Tests compare the integers, never
 * a float; a chart may divide them however it likes.
 */

/** A share (churn, conversion, retention, the 402 rate): shown in basis points, 1 bp = 0.01 %. */
export interface RateFigure {
  numerator: number;
  denominator: number;
  /** numerator × 10,000 ÷ denominator, rounded half up: 1234 is 12.34 %. */
  basisPoints: number;
}

/** A per-account amount (ARPU in cents, runs per account): shown in whole units. */
export interface AverageFigure {
  numerator: number;
  denominator: number;
  /** numerator ÷ denominator, rounded half up to a whole cent or run. */
  rounded: number;
}

export const BASIS_POINTS_PER_UNIT = 10_000;

/**
 * numerator × scale ÷ denominator rounded half up, for a non-negative numerator and a positive
 * denominator. In BigInt: MRR in cents × 10,000 can pass 2^53, where a float would silently round.
 */
export function roundHalfUp(numerator: number, denominator: number, scale = 1): number {
  const twice = 2n * BigInt(numerator) * BigInt(scale);
  const divisor = BigInt(denominator);
  return Number((twice + divisor) / (2n * divisor));
}

/** null when the denominator is 0 (no paying account, no trial…): "n/a", never 0 % and never NaN. */
export function rateOf(numerator: number, denominator: number): RateFigure | null {
  if (denominator === 0) return null;
  return { numerator, denominator, basisPoints: roundHalfUp(numerator, denominator, BASIS_POINTS_PER_UNIT) };
}

/** null when there is nothing to average over. */
export function averageOf(numerator: number, denominator: number): AverageFigure | null {
  if (denominator === 0) return null;
  return { numerator, denominator, rounded: roundHalfUp(numerator, denominator) };
}
