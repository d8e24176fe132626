import { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { Database } from '../src/database';
import { migratePglite, migratePostgres } from '../src/migrate';
import * as schema from '../src/schema';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';
import { scratchPool } from './scratch-pool';

/** One statement the db package sent, and the exported package function the workload was calling. */
export interface CapturedStatement {
  sql: string;
  origin: string;
}

/**
 * The package function the workload is calling (set by {@link traced}). Not read from a stack trace:
 * Drizzle's query builders run from a thenable's `then`, which leaves the caller off the stack.
 */
export const origin = { current: 'unattributed' };

/** `module` with each function wrapped so the statements it sends are attributed to its name. */
export function traced<T extends object>(module: T): T {
  return new Proxy(module, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const previous = origin.current;
        origin.current = String(name);
        try {
          return await (value as (...a: unknown[]) => unknown)(...args);
        } finally {
          origin.current = previous;
        }
      };
    },
  });
}

export interface CapturingDb {
  db: Database;
  statements: CapturedStatement[];
  close(): Promise<void>;
}

/**
 * A database like createTestDb's (PGlite, or a scratch PostgreSQL database with DATABASE_URL), built
 * here with Drizzle's `logger` option so every statement is recorded, inside transactions too. No
 * production code changes: createDb stays as it is, and this drizzle instance uses the same schema and
 * migrations. Statements made before `statements` is read start after the migrations.
 */
export async function createCapturingDb(): Promise<CapturingDb> {
  const statements: CapturedStatement[] = [];
  let isRecording = false;
  const logger: Logger = {
    logQuery(query) {
      if (!isRecording) return;
      statements.push({ sql: query, origin: origin.current });
    },
  };
  const serverUrl = testPostgresServerUrl();
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl);
    const pool = scratchPool(scratch.url, 6);
    await migratePostgres(pool);
    isRecording = true;
    return {
      db: drizzlePg({ client: pool, schema, logger }),
      statements,
      close: async () => {
        await pool.end();
        await scratch.drop();
      },
    };
  }
  const client = await PGlite.create('memory://');
  const db = drizzlePglite({ client, schema, logger });
  await migratePglite(db);
  isRecording = true;
  return { db, statements, close: () => client.close() };
}
