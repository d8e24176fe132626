/**
 * The emulator's clock runs with real time from `startTime` (so objects created in a dev session carry
 * plausible timestamps) and can only be moved forward, like a Stripe test clock.
 */
export interface EmulatorClock {
  now(): Date;
  nowSeconds(): number;
  /** Jump forward to `seconds` (unix, fractions kept). Never moves backwards. */
  moveTo(seconds: number): void;
}

export function createClock(startTime?: Date): EmulatorClock {
  const realStart = Date.now();
  let offsetMs = startTime ? startTime.getTime() - realStart : 0;
  const nowMs = (): number => Date.now() + offsetMs;
  return {
    now: () => new Date(nowMs()),
    nowSeconds: () => Math.floor(nowMs() / 1000),
    moveTo(seconds) {
      const target = seconds * 1000;
      if (target > nowMs()) offsetMs += target - nowMs();
    },
  };
}

export type BillingInterval = 'day' | 'week' | 'month' | 'year';

/**
 * `anchor` plus `count` intervals, in UTC. Months clamp to the last day of a shorter month and are
 * always computed from the anchor (Jan 31 -> Feb 28 -> Mar 31), which is how Stripe keeps the
 * billing day from drifting.
 */
export function addInterval(anchorSeconds: number, interval: BillingInterval, count: number): number {
  if (interval === 'day') return anchorSeconds + count * 86_400;
  if (interval === 'week') return anchorSeconds + count * 7 * 86_400;
  const months = interval === 'year' ? count * 12 : count;
  const anchor = new Date(anchorSeconds * 1000);
  const monthIndex = anchor.getUTCMonth() + months;
  const year = anchor.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(anchor.getUTCDate(), lastDay);
  const result = Date.UTC(
    year,
    month,
    day,
    anchor.getUTCHours(),
    anchor.getUTCMinutes(),
    anchor.getUTCSeconds(),
  );
  return Math.floor(result / 1000);
}

/** The first anchor + n intervals strictly after `after`. */
export function nextPeriodEnd(
  anchorSeconds: number,
  after: number,
  interval: BillingInterval,
  intervalCount: number,
): number {
  for (let n = 1; ; n += 1) {
    const candidate = addInterval(anchorSeconds, interval, n * intervalCount);
    if (candidate > after) return candidate;
  }
}
