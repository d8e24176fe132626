import type { LocationQuery, LocationQueryRaw } from 'vue-router';

/** The first value of a query parameter (`?a=1&a=2` → "1"), or null. */
export function firstValue(query: LocationQuery, key: string): string | null {
  const value = query[key];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : null;
}

/** Every value of a repeated parameter that is one of `allowed` (`?plan=PRO&plan=TEAM`). */
export function allowedValues<T extends string>(query: LocationQuery, key: string, allowed: readonly T[]) {
  const value = query[key];
  const values = Array.isArray(value) ? value : [value];
  return allowed.filter((option) => values.includes(option));
}

/** `?flag=1` */
export function isFlagSet(query: LocationQuery, key: string): boolean {
  return firstValue(query, key) === '1';
}

/** A whole number from 1 up to `max`, else `fallback` (a hand-edited URL never breaks the page). */
export function positiveInt(query: LocationQuery, key: string, fallback: number, max: number): number {
  const text = firstValue(query, key) ?? '';
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  return value >= 1 && value <= max ? value : fallback;
}

/** Drops empty values, so the URL shows only what differs from the defaults. */
export function compactQuery(query: Record<string, string | string[] | null | undefined>): LocationQueryRaw {
  const compact: LocationQueryRaw = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    compact[key] = value;
  }
  return compact;
}
