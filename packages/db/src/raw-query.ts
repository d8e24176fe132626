import type { SQL } from 'drizzle-orm';
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
