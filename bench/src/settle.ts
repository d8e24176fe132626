import { sql } from 'drizzle-orm';
import type { Database } from '@tollgate/db';

/** What every phase of the bench starts from (said in RESULTS.md's details). */
export const SETTLED = 'each phase starts on a settled database (VACUUM ANALYZE, then CHECKPOINT)';

/**
 * Settles the database between phases, so one phase's leftovers aren't measured in the next: the
 * service phase inserts ~500,000 ledger rows in a minute, and without this the HTTP latency runs
 * shared the CPU with the autovacuum that cleans them up and with the checkpoint their WAL forces.
 * ANALYZE also gives the planner the tables' real sizes, as a server that has run for a while has.
 */
export async function settleDatabase(db: Database): Promise<void> {
  await db.execute(sql`vacuum analyze`);
  try {
    await db.execute(sql`checkpoint`);
  } catch (error) {
    // CHECKPOINT needs a superuser or pg_checkpoint; a bench user without either still gets the vacuum.
    if ((error as { code?: string } | null)?.code !== '42501') throw error;
  }
}
