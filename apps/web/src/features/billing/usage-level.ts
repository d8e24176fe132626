/** From this share of the limit on, the meter warns. */
export const WARNING_RATIO = 0.8;

export type UsageLevel = 'normal' | 'warning' | 'exhausted';

export function usageLevel(used: number, limit: number): UsageLevel {
  if (limit <= 0 || used >= limit) return 'exhausted';
  return used / limit >= WARNING_RATIO ? 'warning' : 'normal';
}

/** 0–100, rounded down so 79.9 % never reads as 80 % while the bar is not yet warning. */
export function usagePercent(used: number, limit: number): number {
  if (limit <= 0) return 100;
  return Math.min(100, Math.max(0, Math.floor((used / limit) * 100)));
}
