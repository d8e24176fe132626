import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applyPeriodLimit, createDb, pgErrorCode, queryRows, reserveRuns, settleRun, startRun } from '../src';
import type { Database } from '../src';
import { createScratchDatabase } from '../src/testing';
import { makeUser, useTestDb } from './fixtures';
import { PERIOD, SERVICE, runOf, tally } from './reservation-helpers';
import type { RunOwner } from './reservation-helpers';
import { scratchPool } from './scratch-pool';
import { postgresServerUrl } from './two-pools';

// A cancel-now moves an account back to a FREE period that began BEFORE the paid period it closes. The
// plan change (applyPeriodLimit) used to lock the paid row (closing it), then the FREE row (its new
// limit): descending start order. An overrun settled meanwhile (drawRunUnits with the FREE period in
// force) locks both as a reservation does, by start: FREE, then paid. Each held one row and waited for
// the other, and PostgreSQL broke the cycle by failing one of them (40P01). The plan change now locks
// both rows first, in one statement, in (account, start) order, after making the FREE row when missing
// (locking only the rows that existed still deadlocked when the FREE row was being made meanwhile).

const handle = useTestDb();
/** The FREE anniversary period the account falls back to: it began before the paid PERIOD. */
const FREE = { start: new Date('2025-02-20T00:00:00Z'), end: new Date('2025-03-20T00:00:00Z') };
const FREE_LIMIT = 1_000;
/** After the cancel: inside both FREE and the paid period that was closed. */
const CANCELED = new Date('2025-03-12T00:00:00Z');

/** The cancel-now as the subscription sync writes it, in its own transaction. */
function cancelNow(db: Database, accountId: string) {
  return db.transaction((tx) =>
    applyPeriodLimit(tx, { accountId, period: FREE, limit: FREE_LIMIT, previousPeriodStart: PERIOD.start }),
  );
}

function settleOverrun(db: Database, owner: RunOwner, runId: string, actual: number) {
  return settleRun(db, {
    accountId: owner.accountId,
    runId,
    actor: SERVICE,
    actual,
    now: CANCELED,
    periodInForce: { ...FREE, limit: FREE_LIMIT },
  });
}

/**
 * An account that upgraded: `runs` started in the paid PERIOD (1 unit reserved each, its limit 100).
 * With `usedFree`, it had reserved one run in FREE before (FREE's row exists); without, it has none.
 */
async function upgradedAccount(db: Database, runs: number, usedFree = true) {
  const user = await makeUser(db);
  const free = usedFree ? [runOf(user.owner, 'free-0', FREE_LIMIT, { period: FREE, now: FREE.start })] : [];
  const paid = Array.from({ length: runs }, (_, i) => runOf(user.owner, `paid-${i}`, 100));
  expect(tally(await reserveRuns(db, [...free, ...paid]))).toEqual({ reserved: free.length + runs });
  await Promise.all(
    paid.map((run) =>
      startRun(db, { accountId: user.accountId, runId: run.runId, actor: SERVICE, now: run.now }),
    ),
  );
  return { user, runIds: paid.map((run) => run.runId) };
}

/** The account's periods, oldest first: [used, run_limit]. */
async function periods(db: Database, accountId: string) {
  const rows = await queryRows<{ used: number; run_limit: number }>(
    db,
    sql`select used, run_limit from usage_periods where account_id = ${accountId} order by period_start`,
  );
  return rows.map((row) => [Number(row.used), Number(row.run_limit)]);
}

describe('applyPeriodLimit when the period in force began before the one it closes', () => {
  it('closes the paid period at what it used, sets the FREE limit, and tells what FREE had used', async () => {
    const { user, runIds } = await upgradedAccount(handle.db, 3);
    expect(await cancelNow(handle.db, user.accountId)).toEqual({ usedAtChange: 1 });
    expect(await periods(handle.db, user.accountId)).toEqual([
      [1, FREE_LIMIT],
      [3, 3],
    ]);
    // The overrun is drawn from FREE (the closed period has no room left), as after the race below.
    const settled = await settleOverrun(handle.db, user.owner, runIds[0] ?? '', 5);
    expect(settled.entry?.unitsSettled).toBe(5);
    expect(await periods(handle.db, user.accountId)).toEqual([
      [5, FREE_LIMIT],
      [3, 3],
    ]);
  });

  it('creates the period in force when it has no row yet, and skips a previous period without one', async () => {
    const user = await makeUser(handle.db);
    const change = { accountId: user.accountId, period: FREE, limit: 7, previousPeriodStart: PERIOD.start };
    expect(await handle.db.transaction((tx) => applyPeriodLimit(tx, change))).toEqual({ usedAtChange: 0 });
    expect(await periods(handle.db, user.accountId)).toEqual([[0, 7]]);
  });
});

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

/** Deadlocks PostgreSQL detected in the database (its own statistics; reported when sessions exit). */
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

/** PostgreSQL's SQLSTATE for a transaction chosen as a deadlock's victim. */
const DEADLOCK_DETECTED = '40P01';
/**
 * PostgreSQL looks for a deadlock after a lock wait of deadlock_timeout (1 s): at 20 ms a deadlock costs
 * its wave 20 ms, so the old code fails in seconds, not minutes. Sessions opened afterwards use it (the
 * tests run as a superuser, as the reset's replica mode needs).
 */
async function detectDeadlocksSoon(url: string): Promise<void> {
  const pool = scratchPool(url, 1);
  try {
    await pool.query(`alter database "${new URL(url).pathname.slice(1)}" set deadlock_timeout = '20ms'`);
  } finally {
    await pool.end();
  }
}

const WAVES = 15;
const RUNS_PER_WAVE = 6;

// Real PostgreSQL only: PGlite has one connection, nothing runs at the same time. On the old order,
// every wave had 5 to 10 deadlocks among its 12 transactions, whether FREE's row existed or not;
// locking only the rows that existed still had as many when it didn't.
describe.skipIf(!postgresServerUrl)(
  'cancel-now racing overruns settled across it (PostgreSQL, two pools)',
  () => {
    it.each([
      { usedFree: true, case: 'FREE row exists' },
      { usedFree: false, case: 'FREE row made by whichever comes first' },
    ])(
      'makes no deadlock, and every overrun is charged once ($case)',
      async ({ usedFree }) => {
        const scratch = await createScratchDatabase(postgresServerUrl ?? '');
        try {
          await detectDeadlocksSoon(scratch.url);
          const before = await deadlocksIn(scratch.url);
          const handles = [
            await createDb({ databaseUrl: scratch.url, poolSize: 8 }),
            await createDb({ databaseUrl: scratch.url, poolSize: 8 }),
          ];
          const [a, b] = handles.map((h) => h.db) as [Database, Database];
          let victims = 0;
          const countVictim = (error: unknown) => {
            if (pgErrorCode(error) !== DEADLOCK_DETECTED) throw error;
            victims += 1;
            return null;
          };
          const books: number[][][] = [];
          for (let wave = 0; wave < WAVES; wave += 1) {
            const { user, runIds } = await upgradedAccount(a, RUNS_PER_WAVE, usedFree);
            // Each run's overrun (3 more units) is settled while the plan is written again and again (a
            // webhook retry, an override change), interleaved over both pools.
            const [settled] = await Promise.all([
              Promise.all(
                runIds.map((runId, i) =>
                  settleOverrun(i % 2 ? a : b, user.owner, runId, 4).catch(countVictim),
                ),
              ),
              Promise.all(runIds.map((_, i) => cancelNow(i % 2 ? b : a, user.accountId).catch(countVictim))),
            ]);
            if (victims === 0) {
              expect(settled.map((result) => result?.entry?.unitsSettled)).toEqual(runIds.map(() => 4));
            }
            books.push(await periods(a, user.accountId));
          }
          await Promise.all(handles.map((h) => h.close()));
          await waitForSessionsToExit(scratch.url);
          const detected = (await deadlocksIn(scratch.url)) - before;
          expect({ victims, detected }).toEqual({ victims: 0, detected: 0 });
          // FREE's run and the 6 runs (4 units each) are counted once: the paid period gave what it had
          // before it was closed (at what it used), FREE the rest.
          for (const [free, paid] of books) {
            expect((free?.[0] ?? 0) + (paid?.[0] ?? 0)).toBe((usedFree ? 1 : 0) + RUNS_PER_WAVE * 4);
            expect(paid?.[1]).toBe(paid?.[0]);
            expect(free?.[1]).toBe(FREE_LIMIT);
          }
        } finally {
          await scratch.drop();
        }
      },
      60_000,
    );
  },
);
