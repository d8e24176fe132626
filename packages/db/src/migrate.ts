import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateWithPg } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migrateWithPglite } from 'drizzle-orm/pglite/migrator';
import type pg from 'pg';

// Resolved from this file, not the cwd, so the server, tests and scripts find the same folder.
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

// Any fixed 64-bit number works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK_KEY = 7_307_141_290;

export async function migratePglite(db: PgliteDatabase<Record<string, unknown>>): Promise<void> {
  await migrateWithPglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

/**
 * drizzle's migrator takes no lock: two processes starting at once would both see "not applied" and
 * race on CREATE TABLE. A session-level advisory lock held on one dedicated connection serializes
 * them; the second one then finds everything applied and does nothing.
 */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const connection = await pool.connect();
  let isBroken = false;
  try {
    await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrateWithPg(drizzlePg({ client: connection }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (error) {
    // A connection whose state is unknown (e.g. the unlock failed) must not go back into the pool.
    isBroken = true;
    throw error;
  } finally {
    connection.release(isBroken);
  }
}
