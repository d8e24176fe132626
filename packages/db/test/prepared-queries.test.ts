import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDb, queryPreparedRows, queryRows, type Database } from '../src';
import { createScratchDatabase } from '../src/testing';
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
