import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../src/schema';

/**
 * The account-key checker behind shardable-queries.test.ts: does one SQL statement carry the tenant key
 * (account_id) for every tenant table it touches? A small tokenizer, not a full SQL parser (adding one
 * would mean a new dependency): it understands the shapes Drizzle and this package's raw `sql` emit.
 */

export interface TenantTable {
  name: string;
  /** The column that holds the account key: `account_id`, or `id` on `accounts` itself. */
  keyColumn: string;
}

/**
 * Tenant tables, derived from the schema: every table with a NOT NULL `account_id` (the account's own
 * rows) plus `accounts` (the tenant row, keyed by `id`). Tables whose `account_id` is nullable hold
 * platform rows too (service API keys, Stripe events, the operator audit log, user notifications and
 * mail): they are listed by {@link accountTaggedTables} and not checked (see docs/scaling.md).
 */
export function tenantTables(): TenantTable[] {
  const tables: TenantTable[] = [{ name: getTableName(schema.accounts), keyColumn: 'id' }];
  for (const table of allTables()) {
    const column = getTableColumns(table).accountId;
    if (column?.name === 'account_id' && column.notNull)
      tables.push({ name: getTableName(table), keyColumn: 'account_id' });
  }
  return tables;
}

/** Tables with a nullable account_id: some rows belong to an account, some to the platform. */
export function accountTaggedTables(): string[] {
  return allTables()
    .filter((table) => {
      const column = getTableColumns(table).accountId;
      return column?.name === 'account_id' && !column.notNull;
    })
    .map((table) => getTableName(table));
}

function allTables(): PgTable[] {
  return Object.values(schema as Record<string, unknown>).filter((value): value is PgTable =>
    is(value, PgTable),
  );
}

export interface Unkeyed {
  table: string;
  /** The alias the statement gives the table (its name when it gives none). */
  alias: string;
}

interface TableRef {
  table: string;
  alias: string;
  position: number;
  isInsertTarget: boolean;
}

const REF_KEYWORDS = new Set(['from', 'join', 'into', 'update', 'using']);
// Words that can follow a table name and are not its alias.
const NOT_ALIAS = new Set([
  'where',
  'on',
  'set',
  'join',
  'left',
  'right',
  'inner',
  'outer',
  'full',
  'cross',
  'natural',
  'using',
  'group',
  'order',
  'limit',
  'offset',
  'for',
  'returning',
  'values',
  'select',
  'union',
  'except',
  'intersect',
  'having',
  'window',
  'lateral',
  'default',
  'and',
  'or',
  'when',
  'then',
  'fetch',
  'tablesample',
  'overriding',
  'do',
  'as',
]);

/** Lowercased tokens: identifiers (dotted names kept whole), $n, '' for any string literal, symbols. */
export function tokenize(statement: string): { text: string; position: number }[] {
  const tokens: { text: string; position: number }[] = [];
  const pattern =
    /'(?:[^']|'')*'|"[^"]*"(?:\."[^"]*")*|\$\d+|[a-z_][a-z0-9_$]*(?:\.(?:[a-z_][a-z0-9_$]*|"[^"]*"))*|::|<>|!=|<=|>=|[=(),;<>+\-*/|.[\]]/gi;
  for (const match of statement.matchAll(pattern)) {
    const raw = match[0];
    const text = raw.startsWith("'") ? "''" : raw.replaceAll('"', '').toLowerCase();
    tokens.push({ text, position: tokens.length });
  }
  return tokens;
}

/**
 * The tenant tables a statement touches without the account key. A table reference is keyed when its
 * key column is (a) in an INSERT's column list, (b) compared with `=`, `in` or `= any` to a value (a
 * parameter, a literal, an expression, a subquery, a CTE's or VALUES list's column), alone or in a
 * tuple, or (c) equated to the key of a keyed reference (a co-located join), transitively.
 */
export function findUnkeyed(statement: string, tables: readonly TenantTable[]): Unkeyed[] {
  const tokens = tokenize(statement).map((token) => token.text);
  const keyOf = new Map(tables.map((table) => [table.name, table.keyColumn]));
  const refs = tableRefs(tokens, keyOf);
  if (refs.length === 0) return [];
  const aliasTable = new Map(refs.map((ref) => [ref.alias, ref.table]));
  const keyed = new Set<string>();
  const edges: [string, string][] = [];

  for (const ref of refs) {
    if (ref.isInsertTarget && insertColumns(tokens, ref.position).includes(keyOf.get(ref.table) ?? '')) {
      keyed.add(ref.alias);
    }
  }

  // Which alias a key-column token belongs to (null: not a key column).
  const ownerOf = (index: number): string | null => {
    const text = tokens[index] ?? '';
    const dot = text.lastIndexOf('.');
    if (dot > 0) {
      const alias = text.slice(0, dot);
      const column = text.slice(dot + 1);
      const table = aliasTable.get(alias);
      if (table) return keyOf.get(table) === column ? alias : null;
      // A CTE's, subquery's or VALUES list's column: built from values or checked where it reads.
      return column === 'account_id' ? `~${alias}` : null;
    }
    const ref = [...refs].reverse().find((candidate) => candidate.position < index);
    return ref && keyOf.get(ref.table) === text ? ref.alias : null;
  };

  for (let i = 0; i < tokens.length; i += 1) {
    const owner = ownerOf(i);
    if (!owner) continue;
    const next = tokens[i + 1];
    const previous = tokens[i - 1];
    if (next === '=' || previous === '=') {
      const otherIndex = next === '=' ? i + 2 : i - 2;
      const other = ownerOf(otherIndex);
      if (other) edges.push([owner, other]);
      else if (!isColumnRef(tokens[otherIndex])) keyed.add(owner);
    } else if (next === 'in') {
      keyed.add(owner);
    } else if ((previous === '(' || previous === ',') && tupleIsCompared(tokens, i)) {
      keyed.add(owner);
    }
  }
  for (const node of [...keyed, ...edges.flat()]) if (node.startsWith('~')) keyed.add(node);
  for (let changed = true; changed;) {
    changed = false;
    for (const [a, b] of edges) {
      if (keyed.has(a) !== keyed.has(b)) {
        keyed.add(a);
        keyed.add(b);
        changed = true;
      }
    }
  }
  const unkeyed = refs.filter((ref) => !keyed.has(ref.alias));
  return unkeyed.map((ref) => ({ table: ref.table, alias: ref.alias }));
}

function tableRefs(tokens: readonly string[], keyOf: ReadonlyMap<string, string>): TableRef[] {
  const refs: TableRef[] = [];
  for (let i = 0; i < tokens.length - 1; i += 1) {
    if (!REF_KEYWORDS.has(tokens[i] ?? '')) continue;
    let j = i + 1;
    if (tokens[j] === 'only') j += 1;
    const table = tokens[j] ?? '';
    if (!keyOf.has(table)) continue;
    let alias = table;
    let k = j + 1;
    if (tokens[k] === 'as') k += 1;
    const candidate = tokens[k] ?? '';
    if (/^[a-z_][a-z0-9_]*$/.test(candidate) && !NOT_ALIAS.has(candidate)) alias = candidate;
    refs.push({ table, alias, position: j, isInsertTarget: tokens[i] === 'into' });
  }
  return refs;
}

/** The column list after `insert into t (…)`, unqualified. */
function insertColumns(tokens: readonly string[], tablePosition: number): string[] {
  let i = tablePosition + 1;
  if (tokens[i] !== '(') i += 1; // an alias
  if (tokens[i] !== '(') return [];
  const columns: string[] = [];
  for (i += 1; i < tokens.length && tokens[i] !== ')'; i += 1) {
    const token = tokens[i] ?? '';
    if (token !== ',') columns.push(token.slice(token.lastIndexOf('.') + 1));
  }
  return columns;
}

function isColumnRef(token: string | undefined): boolean {
  return !!token && /^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)+$/.test(token);
}

/** `(a.account_id, a.run_id) in (…)` or `= (…)`: the tuple holding index i is compared as a whole. */
function tupleIsCompared(tokens: readonly string[], index: number): boolean {
  let depth = 0;
  for (let i = index; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token === '(') depth += 1;
    else if (token === ')') {
      if (depth === 0) return tokens[i + 1] === 'in' || tokens[i + 1] === '=';
      depth -= 1;
    } else if (
      depth === 0 &&
      token !== ',' &&
      !isColumnRef(token) &&
      !/^[a-z_][a-z0-9_]*$/.test(token ?? '')
    ) {
      return false;
    }
  }
  return false;
}
