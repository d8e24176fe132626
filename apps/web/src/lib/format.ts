const dateFormat = new Intl.DateTimeFormat('en-US', { month: 'long', day: 'numeric', year: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const shortDateFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });
const countFormat = new Intl.NumberFormat('en-US');

/** "March 5, 2026". Accepts the ISO strings tRPC sends and the Dates the SDK builds. */
export function formatDate(value: Date | string): string {
  return dateFormat.format(new Date(value));
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
