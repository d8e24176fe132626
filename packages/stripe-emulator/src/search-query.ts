import { invalidRequest } from './errors';

export interface SearchClause {
  /** "email", "name", or "metadata.<key>" */
  field: string;
  operator: ':' | '~';
  value: string;
  isNegated: boolean;
}

export interface SearchQuery {
  clauses: SearchClause[];
  combinator: 'AND' | 'OR';
}

const CLAUSE = /^(-)?(?:metadata\[(['"])(.+?)\2\]|([a-z_]+))\s*([:~])\s*(['"])(.*)\6$/;

/**
 * Stripe's search query language, as far as customer lookups need it:
 * `metadata['userId']:'u_1'`, `email:'a@b.c'`, `name~'ann'`, `-email:'x'`, joined by AND or OR
 * (not both, as in Stripe).
 */
export function parseSearchQuery(query: string): SearchQuery {
  const parts = query.trim().split(/\s+(AND|OR)\s+/);
  const combinators = new Set(parts.filter((_, index) => index % 2 === 1));
  if (combinators.size > 1) throw invalidRequest('Search queries cannot mix AND and OR.', 'query');
  const clauses = parts
    .filter((_, index) => index % 2 === 0)
    .map((text) => {
      const match = CLAUSE.exec(text.trim());
      if (!match) throw invalidRequest(`Could not parse the search query clause: ${text}`, 'query');
      const [, negation, , metadataKey, field, operator, , value = ''] = match;
      return {
        field: metadataKey !== undefined ? `metadata.${metadataKey}` : (field ?? ''),
        operator: operator === '~' ? '~' : ':',
        value,
        isNegated: negation === '-',
      } satisfies SearchClause;
    });
  return { clauses, combinator: combinators.has('OR') ? 'OR' : 'AND' };
}

export function matchesSearch(
  query: SearchQuery,
  valueOf: (field: string) => string | null | undefined,
): boolean {
  const results = query.clauses.map((clause) => {
    const actual = valueOf(clause.field);
    const isMatch =
      actual !== null &&
      actual !== undefined &&
      (clause.operator === ':'
        ? actual.toLowerCase() === clause.value.toLowerCase()
        : actual.toLowerCase().includes(clause.value.toLowerCase()));
    return clause.isNegated ? !isMatch : isMatch;
  });
  return query.combinator === 'AND' ? results.every(Boolean) : results.some(Boolean);
}
