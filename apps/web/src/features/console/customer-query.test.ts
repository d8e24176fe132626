import { describe, expect, it } from 'vitest';
import { filtersFromQuery, filtersToQuery, sortedBy, toCustomerSearch } from './customer-query';

describe('customer filters in the URL', () => {
  it('an empty query string is the defaults: newest first, page 1 of 25', () => {
    const filters = filtersFromQuery({});
    expect(filters).toMatchObject({ query: '', plans: [], sort: 'created', direction: 'desc', page: 1 });
    expect(filtersToQuery(filters)).toEqual({});
    expect(toCustomerSearch(filters)).toEqual({ sort: 'created', direction: 'desc', page: 1, pageSize: 25 });
  });

  it('reads every filter back from the URL it wrote', () => {
    const query = {
      q: 'ada@',
      plan: ['PRO', 'TEAM'],
      status: 'past_due',
      pastDue: '1',
      nearLimit: '1',
      overage: '1',
      sort: 'usage',
      dir: 'asc',
      page: '3',
      size: '50',
    };
    const filters = filtersFromQuery(query);
    expect(filters).toEqual({
      query: 'ada@',
      plans: ['PRO', 'TEAM'],
      statuses: ['past_due'],
      pastDueOnly: true,
      nearLimitOnly: true,
      overageOnly: true,
      sort: 'usage',
      direction: 'asc',
      page: 3,
      pageSize: 50,
    });
    expect(filtersToQuery(filters)).toEqual({ ...query, status: ['past_due'] });
    expect(toCustomerSearch(filters)).toEqual({
      query: 'ada@',
      plans: ['PRO', 'TEAM'],
      statuses: ['past_due'],
      pastDueOnly: true,
      nearLimitOnly: true,
      overageOnly: true,
      sort: 'usage',
      direction: 'asc',
      page: 3,
      pageSize: 50,
    });
  });

  it('drops what a hand-edited URL gets wrong instead of failing', () => {
    const filters = filtersFromQuery({ plan: ['GOLD', 'PRO'], sort: 'name', page: '-2', size: '7' });
    expect(filters).toMatchObject({ plans: ['PRO'], sort: 'created', page: 1, pageSize: 25 });
  });

  it('a new column sorts in its natural direction, the same column flips, and paging restarts', () => {
    const onPage4 = { ...filtersFromQuery({}), page: 4 };
    expect(sortedBy(onPage4, 'email')).toMatchObject({ sort: 'email', direction: 'asc', page: 1 });
    expect(sortedBy(onPage4, 'usage')).toMatchObject({ sort: 'usage', direction: 'desc', page: 1 });
    expect(sortedBy(onPage4, 'created')).toMatchObject({ sort: 'created', direction: 'asc', page: 1 });
  });
});
