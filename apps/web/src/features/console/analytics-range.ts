import { PLAN_IDS } from '@tollgate/domain';
import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import type { AnalyticsInput } from './console.api';
import { allowedValues, compactQuery, firstValue } from './route-query';

/** The server answers at most 36 months at once. */
export const MAX_MONTHS = 36;
const DEFAULT_MONTHS = 12;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export type PlanFilter = NonNullable<AnalyticsInput['plans']>;

export interface AnalyticsRange {
  from: string;
  to: string;
  plans: PlanFilter;
}

function monthIndex(month: string): number | null {
  const match = MONTH.exec(month);
  return match ? Number(match[1]) * 12 + Number(match[2]) - 1 : null;
}

function monthOf(index: number): string {
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The UTC month of `now` ("2026-03"): months are UTC, as the figures are. */
export function currentMonth(now: Date): string {
  return monthOf(now.getUTCFullYear() * 12 + now.getUTCMonth());
}

/** How many months from `from` to `to`, both included; null when either isn't a month. */
export function monthsBetween(from: string, to: string): number | null {
  const start = monthIndex(from);
  const end = monthIndex(to);
  return start === null || end === null ? null : end - start + 1;
}

/** The last 12 months, this one included. */
export function defaultRange(now: Date): AnalyticsRange {
  const to = currentMonth(now);
  return { from: monthOf((monthIndex(to) ?? 0) - (DEFAULT_MONTHS - 1)), to, plans: [] };
}

export function rangeFromQuery(query: LocationQuery, now: Date): AnalyticsRange {
  const fallback = defaultRange(now);
  const from = firstValue(query, 'from') ?? '';
  const to = firstValue(query, 'to') ?? '';
  const plans = allowedValues(query, 'plan', PLAN_IDS);
  const length = monthsBetween(from, to);
  const isUsable = length !== null && length >= 1 && length <= MAX_MONTHS;
  return isUsable ? { from, to, plans } : { ...fallback, plans };
}

export function rangeToQuery(range: AnalyticsRange): LocationQueryRaw {
  return compactQuery({ from: range.from, to: range.to, plan: range.plans });
}

/** Why the range can't be asked for, or null when it can. */
export function rangeProblem(from: string, to: string): string | null {
  const length = monthsBetween(from, to);
  if (length === null) return 'Choose a first and a last month.';
  if (length < 1) return 'The first month must come before the last.';
  if (length > MAX_MONTHS) return `Choose at most ${MAX_MONTHS} months.`;
  return null;
}

export function toAnalyticsInput(range: AnalyticsRange): AnalyticsInput {
  return { from: range.from, to: range.to, ...(range.plans.length > 0 ? { plans: range.plans } : {}) };
}
