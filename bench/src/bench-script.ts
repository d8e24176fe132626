import { createDb, type DbHandle } from '@tollgate/db';
import { createScratchDatabase, type ScratchDatabase } from '@tollgate/db/testing';

/** The PostgreSQL server the bench creates its scratch database on (DATABASE_URL, default the local one). */
export const benchServerUrl = (): string =>
  process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Runs `measure` against a fresh scratch database on the bench's PostgreSQL server; the database is
 * dropped afterwards, also when a measurement throws.
 */
export async function withScratchDatabase<T>(
  measure: (handle: DbHandle, scratch: ScratchDatabase) => Promise<T>,
): Promise<T> {
  const scratch = await createScratchDatabase(benchServerUrl());
  const handle = await createDb({ databaseUrl: scratch.url });
  try {
    return await measure(handle, scratch);
  } finally {
    await handle.close();
    await scratch.drop();
  }
}

/** A bench entry point: a failure prints its stack and exits 1 (the figures printed so far stay). */
export function runBenchScript(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
