import { createDb, reserveRuns } from '../src';
import type { Database, ReserveRunInput } from '../src';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';

/** The PostgreSQL server concurrency tests run against (null: PGlite only, those tests are skipped). */
export const postgresServerUrl = testPostgresServerUrl();

/**
 * Real concurrency between processes: two pools on one fresh PostgreSQL database (dropped afterwards),
 * as two server processes would hold them.
 */
export async function withTwoPools<T>(body: (a: Database, b: Database) => Promise<T>): Promise<T> {
  const scratch = await createScratchDatabase(postgresServerUrl ?? '');
  const first = await createDb({ databaseUrl: scratch.url, poolSize: 6 });
  const second = await createDb({ databaseUrl: scratch.url, poolSize: 6 });
  try {
    return await body(first.db, second.db);
  } finally {
    await Promise.all([first.close(), second.close()]);
    await scratch.drop();
  }
}

/**
 * Runs sent the way servers send them: groups of 1 to 24 (the batcher's shared statements, and lone
 * requests), all at once, alternating between two pools as two server processes would.
 */
export async function reserveConcurrently(a: Database, b: Database, inputs: readonly ReserveRunInput[]) {
  const groups: ReserveRunInput[][] = [];
  for (let i = 0, size = 1; i < inputs.length; i += size, size = (size * 7) % 24 || 1) {
    groups.push(inputs.slice(i, i + size));
  }
  const answers = await Promise.all(groups.map((group, i) => reserveRuns(i % 2 ? a : b, group)));
  return answers.flat();
}
