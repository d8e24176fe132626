/**
 * Counts and cents in analytics are non-negative safe integers. A fraction of a cent or a negative count
 * means a bug upstream (a float price, a sign flipped): refuse it rather than report a wrong figure.
 */
export function assertWholeNumber(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a whole number ≥ 0, got ${value}`);
  }
}
