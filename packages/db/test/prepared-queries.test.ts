import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createDb,
  PREPARED_GROUP_MAX,
  queryPreparedRows,
  queryRows,
  reserveRuns,
  type Database,
} from '../src';
import { createScratchDatabase } from '../src/testing';
import { makeUser } from './fixtures';
import { runOf } from './reservation-helpers';
import { postgresServerUrl } from './two-pools';

const squares = (db: Database, n: number) =>
  queryPreparedRows<{ n: number; square: number }>(
    db,
    sql`select x as n, x * x as square from unnest(${sql.param([n, n + 1])}::int[]) as x order by x`,
  );
const doubles = (db: Database, n: number) =>
  queryPreparedRows<{ double: number }>(db, sql`select ${n}::int * 2 as double`);

describe.skipIf(!postgresServerUrl)('queryPreparedRows on PostgreSQL', () => {
  it('parses each text once per connection, answers every call with its own values', async () => {
    const scratch = await createScratchDatabase(postgresServerUrl ?? '');
    const handle = await createDb({ databaseUrl: scratch.url, poolSize: 1 });
    try {
      for (let n = 1; n <= 8; n += 1) {
        expect(await squares(handle.db, n)).toEqual([
          { n, square: n * n },
          { n: n + 1, square: (n + 1) * (n + 1) },
        ]);
        // Another text on the same connection gets a name of its own (one name, one text).
        expect(await doubles(handle.db, n)).toEqual([{ double: 2 * n }]);
      }
      const prepared = await queryRows<{ name: string; statement: string }>(
        handle.db,
        sql`select name, statement from pg_prepared_statements order by statement`,
      );
      expect(prepared).toHaveLength(2);
      expect(prepared.every(({ name }) => /^tg_[0-9a-f]{24}$/.test(name))).toBe(true);
    } finally {
      await handle.close();
      await scratch.drop();
    }
  });
});

describe.skipIf(!postgresServerUrl)('the run reservation statement on PostgreSQL', () => {
  // What the connection's prepared statements have executed (PostgreSQL 14+ counts both plan kinds).
  const executions = async (db: Database) => {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`select coalesce(sum(generic_plans + custom_plans), 0)::int as n from pg_prepared_statements`,
    );
    return row?.n ?? 0;
  };

  it(`is prepared for a group of up to ${PREPARED_GROUP_MAX} runs, planned anew for a larger one`, async () => {
    const scratch = await createScratchDatabase(postgresServerUrl ?? '');
    const handle = await createDb({ databaseUrl: scratch.url, poolSize: 1 });
    try {
      const user = await makeUser(handle.db);
      const group = (prefix: string, size: number) =>
        Array.from({ length: size }, (_, i) => runOf(user.owner, `${prefix}-${i}`, 1_000));
      // The first group also creates the period row: a second round of the statement.
      await reserveRuns(handle.db, group('first', 2));
      const afterFirst = await executions(handle.db);
      expect(afterFirst).toBeGreaterThanOrEqual(1);
      await reserveRuns(handle.db, group('small', PREPARED_GROUP_MAX));
      expect(await executions(handle.db)).toBe(afterFirst + 1);
      const results = await reserveRuns(handle.db, group('large', PREPARED_GROUP_MAX + 1));
      expect(await executions(handle.db)).toBe(afterFirst + 1);
      expect(results.map(({ outcome }) => outcome)).toEqual(
        Array.from({ length: PREPARED_GROUP_MAX + 1 }, () => 'reserved'),
      );
    } finally {
      await handle.close();
      await scratch.drop();
    }
  });
});

describe('queryPreparedRows on the embedded PGlite', () => {
  it('runs the statement as a plain query', async () => {
    const handle = await createDb({ dataDir: 'memory://' });
    try {
      expect(await squares(handle.db, 3)).toEqual([
        { n: 3, square: 9 },
        { n: 4, square: 16 },
      ]);
      expect(await doubles(handle.db, 5)).toEqual([{ double: 10 }]);
    } finally {
      await handle.close();
    }
  });
});
