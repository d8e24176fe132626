import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/** A table's columns for a raw statement, and its raw rows mapped back to drizzle's row type. */
export interface TableRows<Row> {
  /** `alias."column", …` for every column of the table, in its declared order. */
  columns: SQL;
  /** A raw row (PostgreSQL's column names, as either driver returns them) as drizzle's select gives it. */
  rowOf(raw: Record<string, unknown>): Row;
}

/**
 * For a wide table read on a hot path: drizzle's builder walks every column of a `select()` on each
 * call (~50–90 µs for the 21 columns of `subscriptions`, measured in the webhook bench), while a raw
 * statement with this column list is built in a few µs and can be prepared (queryPreparedRows). Rows
 * are mapped by each column's own mapFromDriverValue, as drizzle's select maps them, so a column added
 * to the table is read and mapped without touching the statement. Select nothing else under a column
 * name of the table (alias another table's columns): a raw row has one value per name.
 */
export function tableRows<Table extends PgTable>(
  table: Table,
  alias: string,
): TableRows<Table['$inferSelect']> {
  const entries = Object.entries(getTableColumns(table));
  const columns = sql.raw(entries.map(([, column]) => `${alias}."${column.name}"`).join(', '));
  function rowOf(raw: Record<string, unknown>): Table['$inferSelect'] {
    const row: Record<string, unknown> = {};
    for (const [key, column] of entries) {
      const value = raw[column.name];
      if (value === undefined) throw new Error(`tableRows: the raw row has no column ${column.name}`);
      row[key] = value === null ? null : column.mapFromDriverValue(value);
    }
    return row as Table['$inferSelect'];
  }
  return { columns, rowOf };
}
