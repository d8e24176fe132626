import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDb, queryRows, reserveRuns, type Database } from '../src';
import { createScratchDatabase } from '../src/testing';
import { makeUser, useTestDb } from './fixtures';
import { runOf } from './reservation-helpers';
import { scratchPool } from './scratch-pool';
import { postgresServerUrl } from './two-pools';

const handle = useTestDb();

// PostgreSQL may pick a reservation statement as a deadlock's victim (three team statements queued on
// one counter row did, in CI). The statement is atomic: nothing of it was applied, so the group is
// decided again at once instead of failing every caller with a 503 to send the same runs again.
describe('a reservation statement chosen as a deadlock victim', () => {
  it('is decided again: the runs are reserved once, the counter counts them once', async () => {
    const { db } = handle;
    const { owner } = await makeUser(db);
    // The first ledger insert of this account fails as PostgreSQL's deadlock victim does (40P01); a
    // sequence, which a rollback doesn't undo, makes it the first only.
    await db.execute(sql.raw('create sequence zz_victims'));
    await db.execute(
      sql.raw(`create function zz_deadlock_once() returns trigger language plpgsql as $$
        begin
          if new.account_id = '${owner.accountId}' and nextval('zz_victims') = 1 then
            raise exception 'deadlock detected' using errcode = '40P01';
          end if;
          return new;
        end $$`),
    );
    await db.execute(
      sql.raw(`create trigger zz_deadlock_once before insert on usage_ledger
        for each row execute function zz_deadlock_once()`),
    );
    try {
      const answers = await reserveRuns(db, [runOf(owner, 'a', 10), runOf(owner, 'b', 10)]);
      expect(answers.map((answer) => answer.outcome)).toEqual(['reserved', 'reserved']);
      const [books] = await queryRows<{ used: number; victims: number; ledger: number }>(
        db,
        sql`select p.used, (select last_value from zz_victims)::int as victims,
              (select count(*)::int from usage_ledger l where l.account_id = p.account_id) as ledger
            from usage_periods p where p.account_id = ${owner.accountId}`,
      );
      expect(books).toEqual({ used: 2, victims: 3, ledger: 2 });
    } finally {
      await db.execute(sql.raw('drop trigger zz_deadlock_once on usage_ledger'));
    }
  });
});

/** Deadlocks PostgreSQL detected in the database (its own statistics). */
async function deadlocksIn(url: string): Promise<number> {
  const pool = scratchPool(url, 1);
  try {
    const { rows } = await pool.query<{ n: number }>(
      'select deadlocks::int as n from pg_stat_database where datname = current_database()',
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await pool.end();
  }
}

/**
 * A backend reports its statistics when it goes idle (at most once a second) and when it exits: wait
 * until every other session of the database has exited, so its deadlocks are counted.
 */
async function waitForSessionsToExit(url: string): Promise<void> {
  const pool = scratchPool(url, 1);
  try {
    for (let i = 0; i < 100; i += 1) {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()`,
      );
      if (Number(rows[0]?.n) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the sessions of the scratch database did not exit');
  } finally {
    await pool.end();
  }
}

/** One wave: every member's first runs of a new period at once, one statement each, over both pools. */
async function firstUseWave(
  pools: readonly Database[],
  teamId: string,
  memberIds: readonly string[],
  month: number,
) {
  const period = { start: new Date(Date.UTC(2025, month, 1)), end: new Date(Date.UTC(2025, month + 1, 1)) };
  const runs = memberIds.flatMap((userId, i) =>
    [0, 1].map((k) =>
      runOf({ accountId: teamId, userId }, `m${month}-${i}-${k}`, 10, {
        countsMember: true,
        period,
        now: period.start,
      }),
    ),
  );
  return Promise.all(runs.map((run, i) => reserveRuns(pools[i % pools.length] as Database, [run])));
}

// The cause, not only its cure: a team's first runs of a period create their member counter rows while
// other statements reserve on the same period row. The insert's foreign-key check share-locked that
// row unlocked and walked its update chain, and PostgreSQL broke 15 to 20 deadlocks per 40 waves
// (pg_stat_database) among the reservation statements queued on it. The insert now takes the period
// row's lock first, as reservations do. Real PostgreSQL only (PGlite has one connection).
describe.skipIf(!postgresServerUrl)("a team's first runs of a period, all at once (PostgreSQL)", () => {
  it('make no deadlock, and the pool and member counters count each admitted run once', async () => {
    const scratch = await createScratchDatabase(postgresServerUrl ?? '');
    try {
      const handles = [
        await createDb({ databaseUrl: scratch.url, poolSize: 8 }),
        await createDb({ databaseUrl: scratch.url, poolSize: 8 }),
      ];
      const pools = handles.map((handle) => handle.db);
      const [db] = pools as [Database];
      const team = await makeUser(db);
      const memberIds: string[] = [];
      for (let i = 0; i < 20; i += 1) memberIds.push((await makeUser(db)).id);
      const before = await deadlocksIn(scratch.url);
      for (let month = 0; month < 40; month += 1) {
        const answers = (await firstUseWave(pools, team.accountId, memberIds, month)).flat();
        expect(answers.filter((answer) => answer.outcome === 'reserved')).toHaveLength(10);
      }
      const [books] = await queryRows<{ pool: number; members: number }>(
        db,
        sql`select (select sum(used)::int from usage_periods where account_id = ${team.accountId}) as pool,
              (select sum(used)::int from member_usage_periods where account_id = ${team.accountId}) as members`,
      );
      expect(books).toEqual({ pool: 400, members: 400 });
      await Promise.all(handles.map((handle) => handle.close()));
      await waitForSessionsToExit(scratch.url);
      expect(await deadlocksIn(scratch.url)).toBe(before);
    } finally {
      await scratch.drop();
    }
  }, 120_000);
});
