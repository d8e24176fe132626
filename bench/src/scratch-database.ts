import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database on the server of `serverUrl` (`tollgate_bench_<random>`), dropped by drop(). */
export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `tollgate_bench_${randomBytes(5).toString('hex')}`;
  await adminStatement(serverUrl, `create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // WITH (FORCE): a run that crashed half-way may leave connections open.
    drop: () => adminStatement(serverUrl, `drop database if exists "${name}" with (force)`),
  };
}

async function adminStatement(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
