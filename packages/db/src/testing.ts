import { randomBytes } from 'node:crypto';
import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { PG_DEADLOCK_DETECTED, pgErrorCode } from './errors';
import { createDb } from './client';
import type { DbHandle } from './client';
import * as schema from './schema';

// Derived from the schema so a new table can never survive reset() and leak state between tests.
const ALL_TABLES = Object.values(schema as Record<string, unknown>).filter((value): value is PgTable =>
  is(value, PgTable),
);

export interface TestDbHandle extends DbHandle {
  /** Empties every table (RESTART IDENTITY CASCADE). Cheap: call it in beforeEach. */
  reset(): Promise<void>;
}

/**
 * A database for one test file (this is the only module in @tollgate/db that reads process.env).
 * - Without DATABASE_URL: an in-memory PGlite (~4 s to create: call once in beforeAll).
 * - With a postgres:// DATABASE_URL: a fresh database `tollgate_t_<random>` on that server, migrated,
 *   and dropped again by close(), so test files running in parallel never share tables.
 */
export async function createTestDb(): Promise<TestDbHandle> {
  const serverUrl = testPostgresServerUrl();
  const handle = serverUrl ? await createPostgresTestDb(serverUrl) : await createDb({ dataDir: 'memory://' });
  return { ...handle, reset: () => truncateAll(handle) };
}

/** The PostgreSQL server tests run against (DATABASE_URL), or null when they run on PGlite. */
export function testPostgresServerUrl(): string | null {
  return process.env.DATABASE_URL || null;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty (unmigrated) database `tollgate_t_<random>` on the server; drop() removes it. */
export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const databaseName = `tollgate_t_${randomBytes(6).toString('hex')}`;
  await runAdminStatement(serverUrl, `create database "${databaseName}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  return {
    url: url.toString(),
    // WITH (FORCE) ends connections a failed test may have left open.
    drop: () => runAdminStatement(serverUrl, `drop database if exists "${databaseName}" with (force)`),
  };
}

/**
 * Empties every table between tests. The audit log refuses TRUNCATE by trigger; a test reset bypasses
 * it explicitly (replica mode fires no ordinary trigger; only a superuser, as tests run, may set it).
 */
async function truncateAll(handle: DbHandle): Promise<void> {
  const names = ALL_TABLES.map((table) => `"${getTableName(table)}"`).join(', ');
  // A test server's background passes (sweeper, outbox, meter reports) may hold a table the truncate
  // wants while waiting for one it took: PostgreSQL breaks the deadlock by failing one side. The reset
  // is the side to try again.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await handle.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local session_replication_role = replica`));
        await tx.execute(sql.raw(`truncate table ${names} restart identity cascade`));
      });
      return;
    } catch (error) {
      if (attempt >= 5 || pgErrorCode(error) !== PG_DEADLOCK_DETECTED) throw error;
    }
  }
}

async function createPostgresTestDb(serverUrl: string): Promise<DbHandle> {
  const scratch = await createScratchDatabase(serverUrl);
  let handle: DbHandle;
  try {
    handle = await createDb({ databaseUrl: scratch.url, poolSize: 10 });
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await scratch.drop();
    },
  };
}

async function runAdminStatement(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
