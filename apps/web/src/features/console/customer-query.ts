import { PLAN_IDS, SUBSCRIPTION_STATUSES } from '@tollgate/domain';
import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import type { CustomerSearch } from './console.api';
import { allowedValues, compactQuery, firstValue, isFlagSet, positiveInt } from './route-query';

export const CUSTOMER_SORT_KEYS = ['created', 'email', 'plan', 'usage'] as const;
export type CustomerSortKey = (typeof CUSTOMER_SORT_KEYS)[number];
export type SortDirection = 'asc' | 'desc';

/** The customers page's state, every field set: what the URL says, defaults filled in. */
export type CustomerFilters = Required<Omit<CustomerSearch, 'pageSize'>> & { pageSize: number };

export const PAGE_SIZES = [25, 50, 100] as const;
const DEFAULTS: CustomerFilters = {
  query: '',
  plans: [],
  statuses: [],
  pastDueOnly: false,
  nearLimitOnly: false,
  overageOnly: false,
  sort: 'created',
  direction: 'desc',
  page: 1,
  pageSize: 25,
};

/** The URL's query string → the page's filters (unknown values dropped, defaults filled in). */
export function filtersFromQuery(query: LocationQuery): CustomerFilters {
  const sort = firstValue(query, 'sort');
  const size = positiveInt(query, 'size', DEFAULTS.pageSize, 100);
  return {
    query: (firstValue(query, 'q') ?? '').slice(0, 200),
    plans: allowedValues(query, 'plan', PLAN_IDS),
    statuses: allowedValues(query, 'status', SUBSCRIPTION_STATUSES),
    pastDueOnly: isFlagSet(query, 'pastDue'),
    nearLimitOnly: isFlagSet(query, 'nearLimit'),
    overageOnly: isFlagSet(query, 'overage'),
    sort: CUSTOMER_SORT_KEYS.find((key) => key === sort) ?? DEFAULTS.sort,
    direction: firstValue(query, 'dir') === 'asc' ? 'asc' : 'desc',
    page: positiveInt(query, 'page', 1, 100_000),
    pageSize: PAGE_SIZES.find((option) => option === size) ?? DEFAULTS.pageSize,
  };
}

/** The page's filters → the query string: only what differs from the defaults, so links stay short. */
export function filtersToQuery(filters: CustomerFilters): LocationQueryRaw {
  const flag = (isSet: boolean) => (isSet ? '1' : null);
  return compactQuery({
    q: filters.query.trim(),
    plan: filters.plans,
    status: filters.statuses,
    pastDue: flag(filters.pastDueOnly),
    nearLimit: flag(filters.nearLimitOnly),
    overage: flag(filters.overageOnly),
    sort: filters.sort === DEFAULTS.sort ? null : filters.sort,
    dir: filters.direction === DEFAULTS.direction ? null : filters.direction,
    page: filters.page === 1 ? null : String(filters.page),
    size: filters.pageSize === DEFAULTS.pageSize ? null : String(filters.pageSize),
  });
}

/** What admin.customers is sent: the server searches, filters, sorts and pages. */
export function toCustomerSearch(filters: CustomerFilters): CustomerSearch {
  const query = filters.query.trim();
  return {
    ...(query ? { query } : {}),
    ...(filters.plans.length > 0 ? { plans: filters.plans } : {}),
    ...(filters.statuses.length > 0 ? { statuses: filters.statuses } : {}),
    ...(filters.pastDueOnly ? { pastDueOnly: true } : {}),
    ...(filters.nearLimitOnly ? { nearLimitOnly: true } : {}),
    ...(filters.overageOnly ? { overageOnly: true } : {}),
    sort: filters.sort,
    direction: filters.direction,
    page: filters.page,
    pageSize: filters.pageSize,
  };
}

/**
 * A column header clicked: the same column flips its direction, another starts with the direction that
 * reads best (names A→Z, dates and usage newest / highest first). Back to the first page either way.
 */
export function sortedBy(filters: CustomerFilters, sort: CustomerSortKey): CustomerFilters {
  const direction: SortDirection =
    filters.sort === sort
      ? filters.direction === 'asc'
        ? 'desc'
        : 'asc'
      : sort === 'email' || sort === 'plan'
        ? 'asc'
        : 'desc';
  return { ...filters, sort, direction, page: 1 };
}
