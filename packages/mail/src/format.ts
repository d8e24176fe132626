/**
 * Formats an amount in minor units. Intl knows each currency's fraction digits (JPY has 0, USD 2,
 * a few have 3), so the divisor comes from it rather than an assumed 100.
 */
export function formatMoney(minor: number, currency: string): string {
  const formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  const fractionDigits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(minor / 10 ** fractionDigits);
}

const DATE_FORMAT = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  timeZone: 'UTC',
});

/** "December 3, 2026". UTC, because the server does not know the reader's time zone. */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new Error('Cannot format an invalid date in an email');
  return DATE_FORMAT.format(date);
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** "1 run", "3 runs". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}
