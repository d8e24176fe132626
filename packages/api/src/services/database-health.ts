import type { Database } from '@tollgate/db';
import { sql } from 'drizzle-orm';

/** True when the database answers a trivial query (health/readiness probes). */
export async function isDatabaseReachable(db: Database): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
