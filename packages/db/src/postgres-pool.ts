import pg from 'pg';
import type { Database } from './database';

/**
 * The node-postgres pool under a database made by createDb({ databaseUrl }), or null on the embedded
 * PGlite. For the few callers that need the driver itself (a library that speaks `pg`, a session of
 * their own); everything else goes through drizzle. drizzle keeps the client it was given as `$client`
 * (not on the shared Database type, which covers both drivers); a transaction has none.
 */
export function postgresPoolOf(db: Database): pg.Pool | null {
  const client = (db as { $client?: unknown }).$client;
  return client instanceof pg.Pool ? client : null;
}
