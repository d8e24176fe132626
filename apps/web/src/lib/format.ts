const dateFormat = new Intl.DateTimeFormat('en-US', { month: 'long', day: 'numeric', year: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
// Pack expiry is a UTC calendar date (12 months after purchase): shown as UTC so no time zone shifts it.
const utcDateFormat = new Intl.DateTimeFormat('en-US', {
  month: 'long',
  day: 'numeric',
  year: 'numeric',
  timeZone: 'UTC',
});
const shortDateFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });
const countFormat = new Intl.NumberFormat('en-US');

/** "March 5, 2026". Accepts the ISO strings tRPC sends and the Dates the SDK builds. */
export function formatDate(value: Date | string): string {
  return dateFormat.format(new Date(value));
}

/** "March 5, 2026" as the date in UTC (a pack's expiry). */
export function formatUtcDate(value: Date | string): string {
  return utcDateFormat.format(new Date(value));
}

/** "Mar 5": where room is short and the date is weeks away at most (the header). */
export function formatShortDate(value: Date | string): string {
  return shortDateFormat.format(new Date(value));
}

export function formatDateTime(value: Date | string): string {
  return dateTimeFormat.format(new Date(value));
}

/** "1,000". */
export function formatCount(value: number): string {
  return countFormat.format(value);
}

/** Invoice amounts: integer minor units in the invoice's currency ("usd" → "$19.00"). */
export function formatMoney(minorUnits: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
    minorUnits / 100,
  );
}

export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

const relativeFormat = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto', style: 'short' });
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min. ago", "3 hr. ago", "yesterday"; a week and older as "Mar 5". */
export function formatRelativeTime(value: Date | string, now: Date = new Date()): string {
  const seconds = Math.round((new Date(value).getTime() - now.getTime()) / 1000);
  const distance = Math.abs(seconds);
  if (distance < 45) return 'just now';
  if (distance < HOUR) return relativeFormat.format(Math.round(seconds / MINUTE), 'minute');
  if (distance < DAY) return relativeFormat.format(Math.round(seconds / HOUR), 'hour');
  if (distance < 7 * DAY) return relativeFormat.format(Math.round(seconds / DAY), 'day');
  return formatShortDate(value);
}
