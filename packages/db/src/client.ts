import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Database } from './database';
import { migratePglite, migratePostgres } from './migrate';
import { acquireDataDirLock } from './pglite-lock';
import { releaseLostClients } from './release-lost-clients';
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
  /**
   * node-postgres: how long a query may wait for a pool connection (a free one, or a new one being
   * opened) before failing with a "database unavailable" error, in ms. Unset or 0: no limit. The
   * server sets it from DATABASE_POOL_TIMEOUT_MS.
   */
  poolTimeoutMs?: number;
  /** node-postgres: told when a connection is lost (the query using it fails on its own). */
  onConnectionError?(error: Error): void;
}

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const { databaseUrl, dataDir, migrate: shouldMigrate = true } = options;
  if (databaseUrl) return createPostgresDb(databaseUrl, shouldMigrate, options);
  // No silent in-memory fallback: losing billing data because a path was forgotten is worse than failing.
  if (!dataDir) throw new Error('createDb: pass `databaseUrl` (PostgreSQL) or `dataDir` (embedded PGlite)');
  return createPgliteDb(dataDir, shouldMigrate);
}

async function createPostgresDb(
  databaseUrl: string,
  shouldMigrate: boolean,
  options: CreateDbOptions,
): Promise<DbHandle> {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('createDb: databaseUrl must start with postgres:// or postgresql://');
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.poolTimeoutMs ?? 0,
    // A peer that vanished without a FIN/RST (failover, network cut) is noticed instead of awaited forever.
    keepAlive: true,
  });
  const onConnectionError = (error: Error) => {
    try {
      options.onConnectionError?.(error);
    } catch {
      // A failing logger must not turn a lost connection into a crash.
    }
  };
  // A connection can fail at any moment (PostgreSQL restarts, pg_terminate_backend, a network cut). The
  // pool listens on the clients it holds idle; a client checked out for a transaction has no listener
  // of its own, and an 'error' event without one kills the process. So every client gets one for its
  // whole life: the statement in progress still fails (and its request answers 503), the pool drops
  // the dead client, and the next request opens a new connection.
  pool.on('connect', (client) => client.on('error', onConnectionError));
  // An idle client's error reaches the pool too: already reported by the client's own listener.
  pool.on('error', () => {});
  releaseLostClients(pool);
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
