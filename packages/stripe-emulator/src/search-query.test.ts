import { describe, expect, it } from 'vitest';
import { matchesSearch, parseSearchQuery } from './search-query';

const customer: Record<string, string> = { email: 'ann@example.com', name: 'Ann', 'metadata.userId': 'u_1' };
const matches = (query: string): boolean =>
  matchesSearch(parseSearchQuery(query), (field) => customer[field]);

describe('customer search queries', () => {
  it.each([
    [`metadata['userId']:'u_1'`, true],
    [`metadata["userId"]:"u_2"`, false],
    [`email:'ANN@example.com'`, true],
    [`email:'ann@example.com' AND metadata['userId']:'u_1'`, true],
    [`email:'bob@example.com' AND metadata['userId']:'u_1'`, false],
    [`email:'bob@example.com' OR metadata['userId']:'u_1'`, true],
    [`name~'an'`, true],
    [`-email:'ann@example.com'`, false],
    [`metadata['missing']:'x'`, false],
  ])('%s -> %s', (query, expected) => {
    expect(matches(query)).toBe(expected);
  });

  it('rejects what it cannot parse', () => {
    expect(() => parseSearchQuery('email = ann')).toThrow(/parse/);
    expect(() => parseSearchQuery(`email:'a' AND name:'b' OR name:'c'`)).toThrow(/mix/);
  });
});
