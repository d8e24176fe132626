/** From this share of the limit on, the meter warns. */
export const WARNING_RATIO = 0.8;

export type UsageLevel = 'normal' | 'warning' | 'exhausted';

export function usageLevel(used: number, limit: number): UsageLevel {
  if (limit <= 0 || used >= limit) return 'exhausted';
  return used / limit >= WARNING_RATIO ? 'warning' : 'normal';
}

/**
 * The header's level with packs and grants counted: while they hold runs nothing is about to stop, so
 * a used-up allowance is no warning (the meter still shows the allowance itself).
 */
export function spendableLevel(used: number, limit: number, credits: number): UsageLevel {
  return credits > 0 ? 'normal' : usageLevel(used, limit);
}

/** 0–100, rounded down so 79.9 % never reads as 80 % while the bar is not yet warning. */
export function usagePercent(used: number, limit: number): number {
  if (limit <= 0) return 100;
  return Math.min(100, Math.max(0, Math.floor((used / limit) * 100)));
}
