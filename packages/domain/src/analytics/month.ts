/**
 * UTC calendar months. At the API a month is the string "YYYY-MM" (readable in a table, a CSV, a URL);
 * inside, its index year × 12 + month (0-based), so the next month is + 1 and a range is a plain loop.
 */
export type MonthKey = string;

// Years 2000–2999 only: Tollgate has no earlier history, and Date.UTC would read a year under 100 as 19xx.
export const MONTH_PATTERN = /^(2\d{3})-(0[1-9]|1[0-2])$/;

export function parseMonth(month: MonthKey): number {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new RangeError(`Not a month "YYYY-MM": ${JSON.stringify(month)}`);
  return Number(match[1]) * 12 + Number(match[2]) - 1;
}

export function formatMonth(index: number): MonthKey {
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** The month (index) an instant falls in, in UTC. */
export function monthIndexOf(ms: number): number {
  const date = new Date(ms);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** 00:00:00.000 UTC on the month's 1st, in ms. */
export function monthStartMs(index: number): number {
  return Date.UTC(Math.floor(index / 12), index % 12, 1);
}

/**
 * The month's last millisecond: the state "at the end of the month" includes every change dated in it,
 * and the next month's start state is this same instant, so months chain without a gap or an overlap.
 */
export function monthCloseMs(index: number): number {
  return monthStartMs(index + 1) - 1;
}

/** The month indexes from..to, both included; from after to is a caller's mistake, not an empty report. */
export function monthRange(from: MonthKey, to: MonthKey): number[] {
  const first = parseMonth(from);
  const last = parseMonth(to);
  if (first > last) throw new RangeError(`Month range ends before it starts: ${from}..${to}`);
  return Array.from({ length: last - first + 1 }, (_, offset) => first + offset);
}

/** The "YYYY-MM" of an instant, in UTC: what the caller stamps on a run count or an overage charge. */
export function monthOf(date: Date): MonthKey {
  return formatMonth(monthIndexOf(date.getTime()));
}
