import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Database } from './database';
import { migratePglite, migratePostgres } from './migrate';
import { acquireDataDirLock } from './pglite-lock';
import * as schema from './schema';

export type { Database } from './database';

export type DbDriver = 'pglite' | 'postgres';

export interface DbHandle {
  db: Database;
  driver: DbDriver;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** A postgres:// URL selects node-postgres; without it the embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite data folder (a path, or `memory://` for a throwaway database). Required without databaseUrl. */
  dataDir?: string;
  /** Apply the committed migrations before returning (default true). */
  migrate?: boolean;
  /** node-postgres pool size (default 10). */
  poolSize?: number;
}

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const { databaseUrl, dataDir, migrate: shouldMigrate = true } = options;
  if (databaseUrl) return createPostgresDb(databaseUrl, shouldMigrate, options.poolSize ?? 10);
  // No silent in-memory fallback: losing billing data because a path was forgotten is worse than failing.
  if (!dataDir) throw new Error('createDb: pass `databaseUrl` (PostgreSQL) or `dataDir` (embedded PGlite)');
  return createPgliteDb(dataDir, shouldMigrate);
}

async function createPostgresDb(
  databaseUrl: string,
  shouldMigrate: boolean,
  poolSize: number,
): Promise<DbHandle> {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('createDb: databaseUrl must start with postgres:// or postgresql://');
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  try {
    if (shouldMigrate) await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db: Database = drizzlePg({ client: pool, schema });
  return { db, driver: 'postgres', close: () => pool.end() };
}

async function createPgliteDb(dataDir: string, shouldMigrate: boolean): Promise<DbHandle> {
  // PGlite creates only the last folder of the path; a fresh clone has no .data/ yet.
  const isFolder = !/^[a-z]+:\/\//i.test(dataDir);
  if (isFolder) await mkdir(dirname(dataDir), { recursive: true });
  // One process at a time: PGlite is a single-user PostgreSQL, and two writers corrupt its folder.
  const lock = isFolder ? await acquireDataDirLock(dataDir) : null;
  let client: PGlite;
  try {
    if (isFolder) await mkdir(dataDir, { recursive: true });
    client = await PGlite.create(dataDir);
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const pgliteDb = drizzlePglite({ client, schema });
  const close = async () => {
    try {
      await client.close();
    } finally {
      await lock?.release();
    }
  };
  try {
    if (shouldMigrate) await migratePglite(pgliteDb);
  } catch (error) {
    await close();
    throw error;
  }
  const db: Database = pgliteDb;
  return { db, driver: 'pglite', close };
}
