import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Database } from './database';

/**
 * Rows of a raw SQL query. `db.execute` is typed `unknown` on the shared Database type because each
 * driver returns its own result object; both carry `rows`, which is all callers need.
 */
export async function queryRows<Row extends Record<string, unknown>>(
  db: Database,
  query: SQL,
): Promise<Row[]> {
  const result = (await db.execute(query)) as { rows?: Row[] } | null;
  return result?.rows ?? [];
}

// Raw SQL only (no tables to name): the default dialect turns it into text and parameters as db's own would.
const dialect = new PgDialect();

/**
 * Rows of a raw SQL query sent as a named prepared statement: PostgreSQL parses it once per connection
 * and may keep its plan, instead of parsing and planning it on every call. For a hot statement whose
 * text is the same on every call (every value a parameter): the run reservation statement spent ~1.3 ms
 * of its ~1.5 ms per group in parse and plan (measured at idle). The name is the text's hash, so two
 * texts never share one. PGlite runs it as a plain query. Behind PgBouncer, it needs session pooling or
 * PgBouncer ≥ 1.21 with max_prepared_statements (docs/scaling.md).
 */
export async function queryPreparedRows<Row extends Record<string, unknown>>(
  db: Database,
  query: SQL,
): Promise<Row[]> {
  const built = dialect.sqlToQuery(query);
  const name = `tg_${createHash('sha1').update(built.sql).digest('hex').slice(0, 24)}`;
  const prepared = db._.session.prepareQuery(built, undefined, name, false);
  const result = (await prepared.execute()) as { rows?: Row[] } | null;
  return result?.rows ?? [];
}
