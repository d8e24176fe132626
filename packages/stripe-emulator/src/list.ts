import { invalidRequest, resourceMissing } from './errors';
import { optionalInteger, optionalString } from './form-parsing';
import type { Params } from './form-parsing';

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/**
 * Stripe list semantics: newest first, `limit` 1–100 (default 10), cursor pagination with
 * starting_after / ending_before. `items` come in insertion order.
 */
export function paginate<T extends { id: string }>(items: T[], params: Params, url: string): ListPage<T> {
  const limit = optionalInteger(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Limit must be between 1 and 100.', 'limit');
  const newestFirst = [...items].reverse();
  const startingAfter = optionalString(params, 'starting_after');
  const endingBefore = optionalString(params, 'ending_before');
  if (startingAfter) {
    const index = indexOrThrow(newestFirst, startingAfter, 'starting_after');
    const rest = newestFirst.slice(index + 1);
    return { object: 'list', data: rest.slice(0, limit), has_more: rest.length > limit, url };
  }
  if (endingBefore) {
    const index = indexOrThrow(newestFirst, endingBefore, 'ending_before');
    const before = newestFirst.slice(0, index);
    return { object: 'list', data: before.slice(-limit), has_more: before.length > limit, url };
  }
  return { object: 'list', data: newestFirst.slice(0, limit), has_more: newestFirst.length > limit, url };
}

function indexOrThrow<T extends { id: string }>(items: T[], id: string, param: string): number {
  const index = items.findIndex((item) => item.id === id);
  if (index === -1) throw resourceMissing('object', id, param);
  return index;
}
