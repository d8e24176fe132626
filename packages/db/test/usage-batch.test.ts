import { count, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  consumeRun,
  consumeRunBatch,
  createDb,
  createUser,
  findLedgerEntry,
  getSubscriptionsByUserIds,
  getUsage,
  queryRows,
  releaseRun,
  usageLedger,
} from '../src';
import type { ConsumeRunInput, ConsumeRunResult, Database } from '../src';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';
import { makeUser, useTestDb } from './fixtures';

const NOW = new Date('2025-03-10T12:00:00Z');
const PERIOD = { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-04-01T00:00:00Z') };
const NEXT_PERIOD = { start: new Date('2025-04-01T00:00:00Z'), end: new Date('2025-05-01T00:00:00Z') };

const handle = useTestDb();

function run(userId: string, runId: string, limit: number, period = PERIOD): ConsumeRunInput {
  return { userId, runId, limit, period, now: NOW };
}

async function ledgerRows(db: Database, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(usageLedger).where(eq(usageLedger.userId, userId));
  return row?.n ?? 0;
}

async function totalLedgerRows(db: Database): Promise<number> {
  const [row] = await db.select({ n: count() }).from(usageLedger);
  return row?.n ?? 0;
}

function tally(results: readonly ConsumeRunResult[]) {
  const counts: Record<string, number> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

/** Splits `items` into chunks of `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

describe('consumeRunBatch answers exactly like consumeRun run one by one', () => {
  it('matches sequential consumeRun on a mixed batch: limits, replays, releases, two periods, duplicates', async () => {
    // The same script is played twice on two fresh sets of tenants: once through consumeRun (one
    // transaction per run, in order), once as ONE batch. Outcomes, counters and ledgers must agree.
    async function scenario(mode: 'sequential' | 'batch') {
      const users = [await makeUser(handle.db), await makeUser(handle.db), await makeUser(handle.db)];
      const [a, b, c] = users.map((u) => u.id) as [string, string, string];
      // History before the batch: a charged run, a released run.
      await consumeRun(handle.db, run(a, 'old', 5));
      await consumeRun(handle.db, run(a, 'refunded', 5));
      await releaseRun(handle.db, { userId: a, runId: 'refunded', now: NOW, windowMs: 60_000 });
      const inputs = [
        run(a, 'r1', 3),
        run(a, 'old', 3), // replay of a committed run
        run(a, 'refunded', 3), // a released run id is spent
        run(a, 'r2', 3),
        run(a, 'r1', 3), // duplicate inside the batch: a replay of the first
        run(a, 'r3', 3), // over the limit (old + r1 + r2 = 3)
        run(a, 'r3', 3), // refused again
        run(b, 'r1', 0), // limit 0: blocked
        run(c, 'r1', 2),
        run(c, 'n1', 1, NEXT_PERIOD), // another period of the same tenant
        run(c, 'r2', 2),
        run(c, 'r3', 2),
        run(c, 'n2', 1, NEXT_PERIOD),
        run(c, 'r9', 5), // a higher limit for the same period admits it (sequential semantics)
      ];
      const results =
        mode === 'batch'
          ? await consumeRunBatch(handle.db, inputs)
          : await inputs.reduce<Promise<ConsumeRunResult[]>>(
              async (done, input) => [...(await done), await consumeRun(handle.db, input)],
              Promise.resolve([]),
            );
      const state = {
        usedA: await getUsage(handle.db, a, PERIOD.start),
        usedB: await getUsage(handle.db, b, PERIOD.start),
        usedC: await getUsage(handle.db, c, PERIOD.start),
        usedCNext: await getUsage(handle.db, c, NEXT_PERIOD.start),
        ledgers: [
          await ledgerRows(handle.db, a),
          await ledgerRows(handle.db, b),
          await ledgerRows(handle.db, c),
        ],
        hasR3: (await findLedgerEntry(handle.db, a, 'r3')) !== null,
      };
      return { results, state };
    }
    const sequential = await scenario('sequential');
    const batch = await scenario('batch');
    expect(batch).toEqual(sequential);
    expect(batch.results.map((r) => r.outcome)).toEqual([
      'consumed',
      'replayed',
      'released',
      'consumed',
      'replayed',
      'limit_reached',
      'limit_reached',
      'limit_reached',
      'consumed',
      'consumed',
      'consumed',
      'limit_reached',
      'limit_reached',
      'consumed',
    ]);
    expect(batch.state).toEqual({
      usedA: 3,
      usedB: 0,
      usedC: 3,
      usedCNext: 1,
      ledgers: [4, 0, 4],
      hasR3: false,
    });
  });

  it('a refused run leaves no ledger row, so the same run id is charged once the limit allows it', async () => {
    const user = await makeUser(handle.db);
    const first = await consumeRunBatch(handle.db, [run(user.id, 'a', 1), run(user.id, 'b', 1)]);
    expect(first).toEqual([
      { outcome: 'consumed', used: 1 },
      { outcome: 'limit_reached', used: 1 },
    ]);
    expect(await findLedgerEntry(handle.db, user.id, 'b')).toBeNull();
    expect(await consumeRunBatch(handle.db, [run(user.id, 'b', 2), run(user.id, 'a', 2)])).toEqual([
      { outcome: 'consumed', used: 2 },
      { outcome: 'replayed', used: 2 },
    ]);
    expect(await ledgerRows(handle.db, user.id)).toBe(2);
  });

  it('an empty batch does nothing', async () => {
    expect(await consumeRunBatch(handle.db, [])).toEqual([]);
  });
});

describe('consumeRunBatch under concurrency', () => {
  it('hot tenant: 400 runs in 16 concurrent batches against a limit of 150 admit exactly 150', async () => {
    const user = await makeUser(handle.db);
    const inputs = Array.from({ length: 400 }, (_, i) => run(user.id, `hot-${i}`, 150));
    const results = (await Promise.all(chunks(inputs, 25).map((b) => consumeRunBatch(handle.db, b)))).flat();
    expect(tally(results)).toEqual({ consumed: 150, limit_reached: 250 });
    // Every admitted run got its own counter slot 1..150.
    const slots = results.filter((r) => r.outcome === 'consumed').map((r) => r.used);
    expect(new Set(slots).size).toBe(150);
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(150);
    expect(await ledgerRows(handle.db, user.id)).toBe(150);

    // Replaying everything (in differently cut batches) consumes nothing.
    const replays = (await Promise.all(chunks(inputs, 70).map((b) => consumeRunBatch(handle.db, b)))).flat();
    expect(tally(replays)).toEqual({ replayed: 150, limit_reached: 250 });
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(150);
    expect(await ledgerRows(handle.db, user.id)).toBe(150);
  });

  it('many tenants in one batch and the same run ids racing across batches and single-run transactions', async () => {
    const users = await Promise.all(Array.from({ length: 120 }, () => makeUser(handle.db)));
    // Each tenant: 6 distinct runs, limit 4; every run is sent three times — twice in two different
    // concurrent batches and once through consumeRun — so claims collide across transactions.
    const inputs = users.flatMap((u) => Array.from({ length: 6 }, (_, i) => run(u.id, `run-${i}`, 4)));
    const reversed = [...inputs].reverse();
    const [batchA, batchB, singles] = await Promise.all([
      Promise.all(chunks(inputs, 240).map((b) => consumeRunBatch(handle.db, b))),
      Promise.all(chunks(reversed, 180).map((b) => consumeRunBatch(handle.db, b))),
      Promise.all(inputs.filter((_, i) => i % 3 === 0).map((input) => consumeRun(handle.db, input))),
    ]);
    const all = [...batchA.flat(), ...batchB.flat(), ...singles];
    expect(all.filter((r) => r.used > 4)).toEqual([]);
    const rows = await queryRows<{ user_id: string; used: number; ledger: number }>(
      handle.db,
      sql`select p.user_id, p.used,
            (select count(*)::int from usage_ledger l where l.period_id = p.id) as ledger
          from usage_periods p`,
    );
    expect(rows).toHaveLength(120);
    // Every tenant: exactly its limit consumed, ledger rows == counter.
    expect(rows.filter((r) => r.used !== 4 || r.ledger !== 4)).toEqual([]);
    expect(all.filter((r) => r.outcome === 'consumed')).toHaveLength(120 * 4);
  });

  it('a failing batch rolls back entirely: nothing charged, nothing claimed', async () => {
    const user = await makeUser(handle.db);
    await consumeRunBatch(handle.db, [run(user.id, 'before', 10)]);
    // A user without a row: its usage period violates the foreign key, failing the whole transaction.
    await expect(
      consumeRunBatch(handle.db, [
        run(user.id, 'x1', 10),
        run('no-such-user', 'x2', 10),
        run(user.id, 'x3', 10),
      ]),
    ).rejects.toThrow();
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(1);
    expect(await findLedgerEntry(handle.db, user.id, 'x1')).toBeNull();
    expect(await totalLedgerRows(handle.db)).toBe(1);
    // The same runs go through once the poisoned one is gone.
    expect(await consumeRunBatch(handle.db, [run(user.id, 'x1', 10), run(user.id, 'x3', 10)])).toEqual([
      { outcome: 'consumed', used: 2 },
      { outcome: 'consumed', used: 3 },
    ]);
  });
});

describe('getSubscriptionsByUserIds', () => {
  it('reads many subscriptions at once; users without one are absent', async () => {
    const a = await makeUser(handle.db);
    const b = await makeUser(handle.db);
    const bare = await createUser(handle.db, { email: 'bare@example.test' });
    const found = await getSubscriptionsByUserIds(handle.db, [a.id, b.id, bare.id, a.id]);
    expect([...found.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(found.get(a.id)?.plan).toBe('FREE');
    expect(await getSubscriptionsByUserIds(handle.db, [])).toEqual(new Map());
  });
});

// Two "server processes" = two pools on one PostgreSQL database (PGlite is single-process by design).
const serverUrl = testPostgresServerUrl();
if (serverUrl) {
  describe('consumeRunBatch from two pools on one PostgreSQL database', () => {
    it('stays exact: limits never exceeded, ledger rows == counters', async () => {
      const scratch = await createScratchDatabase(serverUrl);
      const first = await createDb({ databaseUrl: scratch.url, poolSize: 4 });
      const second = await createDb({ databaseUrl: scratch.url, poolSize: 4 });
      try {
        const users = await Promise.all(Array.from({ length: 40 }, () => makeUser(first.db)));
        const inputs = users.flatMap((u) => Array.from({ length: 10 }, (_, i) => run(u.id, `r${i}`, 7)));
        const results = await Promise.all([
          ...chunks(inputs, 50).map((b) => consumeRunBatch(first.db, b)),
          ...chunks([...inputs].reverse(), 64).map((b) => consumeRunBatch(second.db, b)),
        ]);
        expect(tally(results.flat())).toEqual({ consumed: 280, replayed: 280, limit_reached: 240 });
        const rows = await queryRows<{ used: number; ledger: number }>(
          second.db,
          sql`select p.used, (select count(*)::int from usage_ledger l where l.period_id = p.id) as ledger
              from usage_periods p`,
        );
        expect(rows).toHaveLength(40);
        expect(rows.every((r) => r.used === 7 && r.ledger === 7)).toBe(true);
      } finally {
        await Promise.all([first.close(), second.close()]);
        await scratch.drop();
      }
    });
  });
}
