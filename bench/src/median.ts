/**
 * Ratios on a shared machine swing from run to run, so the ratio figures are each measured in ROUNDS
 * rounds within one `pnpm bench` (a figure and its baseline back to back in every round) and reported
 * as the median: one slow second of a neighbour's CI job moves one round, not the figure.
 */
export const ROUNDS = 3;

/** The median of a non-empty list (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/** `measure(round)` for rounds 0 … count − 1, one after another (never overlapping: they share the CPU). */
export async function inRounds<T>(count: number, measure: (round: number) => Promise<T>): Promise<T[]> {
  const rounds: T[] = [];
  for (let round = 0; round < count; round += 1) rounds.push(await measure(round));
  return rounds;
}

/** The median over the rounds of one figure (`of`): a rate, a latency, or a ratio taken within each round. */
export function medianOf<T>(rounds: readonly T[], of: (round: T) => number): number {
  return median(rounds.map(of));
}
