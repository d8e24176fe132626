import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDb, queryRows, reserveRuns, type Database } from '../src';
import { createScratchDatabase } from '../src/testing';
import { makeUser } from './fixtures';
import { runOf } from './reservation-helpers';
import { postgresServerUrl } from './two-pools';

/** Rows of the ledger added behind the planner's back: no ANALYZE, so a plan cached before stays. */
const GROWN_BY = 50_000;

/** What the statement looks rows up in: each by its key, one probe per run or account. */
const PROBED = ['usage_ledger', 'usage_periods', 'credit_grants', 'account_spend_settings'];

/** Sequential and index scans so far of each probed table, as this backend reports them (flushed first). */
async function scans(db: Database): Promise<Map<string, { seq: number; index: number }>> {
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const rows = await queryRows<{ relname: string; seq: number; index: number }>(
    db,
    sql`select relname, seq_scan::int as seq, coalesce(idx_scan, 0)::int as index
        from pg_stat_user_tables where relname = any(${sql.param(PROBED)}::text[])`,
  );
  return new Map(rows.map(({ relname, seq, index }) => [relname, { seq, index }]));
}

describe.skipIf(!postgresServerUrl)('the run reservation statement’s plan on PostgreSQL', () => {
  it('probes its tables by key, even with a plan cached while the ledger was small', async () => {
    const scratch = await createScratchDatabase(postgresServerUrl ?? '');
    // One connection whose prepared statement keeps the generic plan it makes at its first call, as a
    // pooled connection does once PostgreSQL settles on one.
    const url = new URL(scratch.url);
    url.searchParams.set('options', '-c plan_cache_mode=force_generic_plan');
    const handle = await createDb({ databaseUrl: url.toString(), poolSize: 1 });
    try {
      // No autovacuum: its ANALYZE would invalidate the cached plan and hide the stale one.
      for (const table of PROBED) {
        await handle.db.execute(sql.raw(`alter table ${table} set (autovacuum_enabled = false)`));
      }
      const user = await makeUser(handle.db);
      const reserve = (prefix: string) =>
        reserveRuns(
          handle.db,
          Array.from({ length: 3 }, (_, i) => runOf(user.owner, `${prefix}-${i}`, 1_000_000)),
        );
      await reserve('young');
      await handle.db.execute(sql`
        insert into usage_ledger
          (account_id, user_id, run_id, period_id, state, actor_kind, actor_id, fingerprint)
        select l.account_id, l.user_id, 'bulk-' || g, l.period_id, l.state, l.actor_kind, l.actor_id, 'fp'
        from usage_ledger l cross join generate_series(1, ${GROWN_BY}) g
        where l.run_id = 'young-0'`);

      const before = await scans(handle.db);
      const results = await reserve('grown');
      const after = await scans(handle.db);

      expect(results.map(({ outcome }) => outcome)).toEqual(['reserved', 'reserved', 'reserved']);
      // No table read whole: the 3 runs are looked up in the ledger by the (account_id, run_id)
      // index, their account's period, grants and settings by theirs.
      const delta = (table: string, kind: 'seq' | 'index') =>
        (after.get(table)?.[kind] ?? 0) - (before.get(table)?.[kind] ?? 0);
      expect(PROBED.map((table) => [table, delta(table, 'seq')])).toEqual(PROBED.map((t) => [t, 0]));
      expect(delta('usage_ledger', 'index')).toBeGreaterThanOrEqual(3);
      expect(delta('usage_periods', 'index')).toBeGreaterThanOrEqual(1);
    } finally {
      await handle.close();
      await scratch.drop();
    }
  });

  it('keeps one generic plan for single runs, with and without member counters', async () => {
    const scratch = await createScratchDatabase(postgresServerUrl ?? '');
    const handle = await createDb({ databaseUrl: scratch.url, poolSize: 1 });
    try {
      const user = await makeUser(handle.db);
      for (const countsMember of [false, true]) {
        for (let i = 0; i < 12; i += 1) {
          const run = runOf(user.owner, `single-${countsMember}-${i}`, 1_000_000, { countsMember });
          expect((await reserveRuns(handle.db, [run]))[0]?.outcome).toBe('reserved');
        }
      }
      // PostgreSQL makes 5 custom plans before it weighs the generic one: after that, none.
      const plans = await queryRows<{ generic: number; custom: number }>(
        handle.db,
        sql`select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements`,
      );
      expect(plans).toHaveLength(2);
      for (const { generic, custom } of plans) {
        expect(custom).toBe(5);
        expect(generic).toBeGreaterThanOrEqual(7);
      }
    } finally {
      await handle.close();
      await scratch.drop();
    }
  });
});
