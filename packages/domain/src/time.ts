import { AppError } from './errors';

export const MS_PER_HOUR = 60 * 60 * 1000;
export const MS_PER_DAY = 24 * MS_PER_HOUR;

/** Adds whole 24-hour days. UTC has no DST, so a "day" is always exactly this many milliseconds. */
export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * MS_PER_DAY);
}

/** Stripe timestamps are Unix seconds. */
export function fromUnixSeconds(seconds: number): Date {
  return new Date(seconds * 1000);
}

/** Rules do date arithmetic; an Invalid Date would silently poison every comparison, so fail loudly. */
export function assertValidDate(date: Date, name: string): void {
  if (Number.isNaN(date.getTime())) {
    throw new AppError('INTERNAL', 'Invalid date', { field: name });
  }
}
