import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the production-like tests use: DATABASE_URL's server when set, else this
 * machine's (the image always runs on PostgreSQL, so these tests do too, even in a PGlite run).
 */
export const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function adminQuery(statement: string): Promise<void> {
  await query(ADMIN_URL, statement);
}

/** One statement on its own connection; resolves with the rows. */
export async function query(url: string, statement: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is needed at ${ADMIN_URL} (start it, or set DATABASE_URL): ${String(error)}`);
  }
  try {
    return (await client.query<Record<string, unknown>>(statement)).rows;
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on that server, for one test file. */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(`drop database if exists "${name}" with (force)`),
  };
}
