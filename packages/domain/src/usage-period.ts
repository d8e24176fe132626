import { assertValidDate } from './time';

/**
 * A usage period is identified by its start: a new period means a new counter row, never a reset of
 * an old one. Half-open: [start, end).
 */
export interface UsagePeriod {
  start: Date;
  end: Date;
}

export function isWithinPeriod(period: UsagePeriod, now: Date): boolean {
  return period.start.getTime() <= now.getTime() && now.getTime() < period.end.getTime();
}

function daysInUtcMonth(year: number, monthIndex: number): number {
  // Day 0 of the next month is the last day of this one; Date.UTC normalises month overflow.
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/**
 * The `monthsAfter`-th monthly anniversary of `origin`, in UTC, at the same time of day. A day that
 * does not exist in the target month is clamped to its last day. Always computed from the origin, so
 * Jan 31 -> Feb 29 -> Mar 31 (no drift to the 29th).
 */
export function addMonthsClamped(origin: Date, monthsAfter: number): Date {
  const totalMonths = origin.getUTCFullYear() * 12 + origin.getUTCMonth() + monthsAfter;
  const year = Math.floor(totalMonths / 12);
  const monthIndex = totalMonths - year * 12;
  const day = Math.min(origin.getUTCDate(), daysInUtcMonth(year, monthIndex));
  return new Date(
    Date.UTC(
      year,
      monthIndex,
      day,
      origin.getUTCHours(),
      origin.getUTCMinutes(),
      origin.getUTCSeconds(),
      origin.getUTCMilliseconds(),
    ),
  );
}

/**
 * The FREE usage period in force at `now`: monthly anniversaries (UTC) of the account creation
 * instant. `now` exactly at an anniversary belongs to the new period.
 *
 * `now` before the account was created (clock skew between servers) maps to the first period rather
 * than a phantom period before it: a phantom period would come with a fresh counter.
 */
export function freePeriodAt(accountCreatedAt: Date, now: Date): UsagePeriod {
  assertValidDate(accountCreatedAt, 'accountCreatedAt');
  assertValidDate(now, 'now');
  if (now.getTime() < accountCreatedAt.getTime()) {
    return { start: accountCreatedAt, end: addMonthsClamped(accountCreatedAt, 1) };
  }
  let months =
    (now.getUTCFullYear() - accountCreatedAt.getUTCFullYear()) * 12 +
    (now.getUTCMonth() - accountCreatedAt.getUTCMonth());
  // The calendar-month difference can overshoot by one (e.g. created the 31st, now the 2nd).
  if (addMonthsClamped(accountCreatedAt, months).getTime() > now.getTime()) months -= 1;
  return {
    start: addMonthsClamped(accountCreatedAt, months),
    end: addMonthsClamped(accountCreatedAt, months + 1),
  };
}
