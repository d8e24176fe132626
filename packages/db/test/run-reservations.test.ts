import { describe, expect, it } from 'vitest';
import { createDb, findLedgerEntry, getUsage, personalAccountId, releaseRun, reserveRuns } from '../src';
import type { ReserveRunInput, ReserveRunResult } from '../src';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';
import { makeUser, useTestDb } from './fixtures';
import {
  NEXT_PERIOD,
  NOW,
  PERIOD,
  chunks,
  ledgerRows,
  periodTotals,
  runOf,
  tally,
} from './reservation-helpers';
import type { RunOwner } from './reservation-helpers';
import { scratchPool } from './scratch-pool';

const handle = useTestDb();

async function reserveOne(input: ReserveRunInput): Promise<ReserveRunResult> {
  const [result] = await reserveRuns(handle.db, [input]);
  if (!result) throw new Error('no result');
  return result;
}

describe('reserveRuns, one run at a time', () => {
  it('reserves up to the limit: limit-1 and limit are allowed, limit+1 is refused and leaves no row', async () => {
    const user = await makeUser(handle.db);
    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(await reserveOne(runOf(user.owner, `run-${i}`, 3)));
    expect(results).toEqual(
      // A personal account's runs count on its pool only: no member counter.
      [1, 2, 3].map((used) => ({
        outcome: 'reserved',
        used,
        limit: 3,
        credits: 0,
        unitsFromAllowance: 1,
        unitsOverage: 0,
        overage: null,
        autoTopUpThreshold: null,
        state: 'reserved',
        member: null,
      })),
    );
    expect(await reserveOne(runOf(user.owner, 'run-over', 3))).toEqual({
      outcome: 'limit_reached',
      used: 3,
      limit: 3,
      credits: 0,
      unitsFromAllowance: 0,
      unitsOverage: 0,
      overage: null,
      autoTopUpThreshold: null,
      state: null,
      member: null,
    });
    expect(await findLedgerEntry(handle.db, { accountId: user.accountId, runId: 'run-over' })).toBeNull();
    expect(await ledgerRows(handle.db, user.accountId)).toBe(3);
  });

  it('records the lifecycle fields: state reserved, units, actor, fingerprint, reserved_at', async () => {
    const user = await makeUser(handle.db);
    await reserveOne(runOf(user.owner, 'r1', 5, { actor: { kind: 'user', id: user.id } }));
    expect(await findLedgerEntry(handle.db, { accountId: user.accountId, runId: 'r1' })).toMatchObject({
      accountId: user.accountId,
      userId: user.id,
      state: 'reserved',
      unitsReserved: 1,
      actorKind: 'user',
      actorId: user.id,
      fingerprint: 'fp:r1',
      reservedAt: NOW,
      startedAt: null,
      releasedAt: null,
    });
  });

  it('admission reads the limit stored on the period row, not the caller’s (it only seeds a new row)', async () => {
    const user = await makeUser(handle.db);
    await reserveOne(runOf(user.owner, 'a', 2));
    // A caller holding a stale, higher limit can't go past the row's.
    await reserveOne(runOf(user.owner, 'b', 1000));
    expect((await reserveOne(runOf(user.owner, 'c', 1000))).outcome).toBe('limit_reached');
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(2);
  });

  it('a blocked account reserves nothing, but a retry of an earlier run still gets its answer', async () => {
    const user = await makeUser(handle.db);
    await reserveOne(runOf(user.owner, 'before', 10));
    expect((await reserveOne(runOf(user.owner, 'new', 10, { isBlocked: true }))).outcome).toBe('blocked');
    expect(await reserveOne(runOf(user.owner, 'before', 10, { isBlocked: true }))).toMatchObject({
      outcome: 'replayed',
      state: 'reserved',
      used: 1,
    });
  });

  it('the same run id: same fingerprint is a replay (nothing counted), another one is refused', async () => {
    const user = await makeUser(handle.db);
    await reserveOne(runOf(user.owner, 'r', 10));
    expect(await reserveOne(runOf(user.owner, 'r', 10))).toEqual({
      outcome: 'replayed',
      used: 1,
      limit: 10,
      credits: 0,
      unitsFromAllowance: 0,
      unitsOverage: 0,
      overage: null,
      autoTopUpThreshold: null,
      state: 'reserved',
      member: null,
    });
    expect(await reserveOne(runOf(user.owner, 'r', 10, { fingerprint: 'someone-else' }))).toMatchObject({
      outcome: 'fingerprint_mismatch',
      used: 1,
    });
    // A replay is answered even at the limit and even in another period.
    expect((await reserveOne(runOf(user.owner, 'r', 0, { period: NEXT_PERIOD }))).outcome).toBe('replayed');
    expect(await ledgerRows(handle.db, user.accountId)).toBe(1);
  });

  it('a released run id is spent: a replay reports `released`, nothing is reserved again', async () => {
    const user = await makeUser(handle.db);
    await reserveOne(runOf(user.owner, 'r', 10));
    await releaseRun(handle.db, {
      accountId: user.accountId,
      runId: 'r',
      actor: null,
      reason: 'service',
      now: NOW,
    });
    expect(await reserveOne(runOf(user.owner, 'r', 10))).toMatchObject({
      outcome: 'replayed',
      state: 'released',
      used: 0,
    });
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(0);
  });

  it('a new period start is a new counter row; tenants are counted separately with the same run ids', async () => {
    const a = await makeUser(handle.db);
    const b = await makeUser(handle.db);
    await reserveOne(runOf(a.owner, 'x', 2));
    expect((await reserveOne(runOf(a.owner, 'y', 2, { period: NEXT_PERIOD }))).used).toBe(1);
    expect(await reserveOne(runOf(b.owner, 'x', 2))).toMatchObject({ outcome: 'reserved', used: 1 });
    expect(await getUsage(handle.db, a.accountId, PERIOD.start)).toBe(1);
    expect(await getUsage(handle.db, a.accountId, NEXT_PERIOD.start)).toBe(1);
  });

  it('a limit of 0 refuses everything', async () => {
    const user = await makeUser(handle.db);
    expect((await reserveOne(runOf(user.owner, 'r', 0))).outcome).toBe('limit_reached');
  });

  it('an unknown tenant fails the call and records nothing (the batcher then retries its runs alone)', async () => {
    const user = await makeUser(handle.db);
    await expect(
      reserveRuns(handle.db, [
        runOf(user.owner, 'ok', 10),
        runOf({ accountId: personalAccountId('no-such-user'), userId: 'no-such-user' }, 'x', 10),
      ]),
    ).rejects.toThrow();
    expect(await ledgerRows(handle.db)).toBe(0);
    expect(await reserveRuns(handle.db, [])).toEqual([]);
  });
});

describe('reserveRuns with many runs answers exactly like reserving them one by one', () => {
  it('matches the sequential answers on a mixed batch: limits, replays, mismatches, blocks, periods, duplicates', async () => {
    async function scenario(mode: 'sequential' | 'batch') {
      const users = [await makeUser(handle.db), await makeUser(handle.db), await makeUser(handle.db)];
      const [a, b, c] = users.map((u) => u.owner) as [RunOwner, RunOwner, RunOwner];
      await reserveOne(runOf(a, 'old', 5));
      await reserveOne(runOf(a, 'gone', 5));
      await releaseRun(handle.db, {
        accountId: a.accountId,
        runId: 'gone',
        actor: null,
        reason: 'service',
        now: NOW,
      });
      const script: ReserveRunInput[] = [
        runOf(a, 'a1', 5),
        runOf(a, 'old', 5), // replay of history
        runOf(a, 'gone', 5), // released before
        runOf(a, 'old', 5, { fingerprint: 'other' }), // reuse with another request
        runOf(b, 'b1', 2),
        runOf(b, 'b2', 2),
        runOf(b, 'b3', 2), // over b's limit
        runOf(b, 'b1', 2), // duplicate in the batch: replay of b1
        runOf(b, 'b1', 2, { fingerprint: 'other' }), // duplicate with another request
        runOf(c, 'c1', 3, { isBlocked: true }),
        runOf(a, 'a2', 5, { period: NEXT_PERIOD }),
        runOf(a, 'a1', 5), // duplicate of the first
        runOf(c, 'b3', 3), // someone else's run id is c's own
      ];
      const results =
        mode === 'batch'
          ? await reserveRuns(handle.db, script)
          : await script.reduce<Promise<ReserveRunResult[]>>(
              async (acc, input) => [...(await acc), await reserveOne(input)],
              Promise.resolve([]),
            );
      return {
        results,
        usage: await Promise.all(
          [a, b, c].map((owner) => getUsage(handle.db, owner.accountId, PERIOD.start)),
        ),
        next: await getUsage(handle.db, a.accountId, NEXT_PERIOD.start),
      };
    }
    const sequential = await scenario('sequential');
    const batch = await scenario('batch');
    expect(batch).toEqual(sequential);
    expect(sequential.results.map((r) => r.outcome)).toEqual([
      'reserved',
      'replayed',
      'replayed',
      'fingerprint_mismatch',
      'reserved',
      'reserved',
      'limit_reached',
      'replayed',
      'fingerprint_mismatch',
      'blocked',
      'reserved',
      'replayed',
      'reserved',
    ]);
  });
});

describe('reserveRuns under concurrency', () => {
  it('200 concurrent single reservations against a limit of 100: exactly 100; replaying them changes nothing', async () => {
    const user = await makeUser(handle.db);
    const inputs = Array.from({ length: 200 }, (_, i) => runOf(user.owner, `run-${i}`, 100));
    const results = await Promise.all(inputs.map(reserveOne));
    expect(tally(results)).toEqual({ reserved: 100, limit_reached: 100 });
    expect(new Set(results.filter((r) => r.outcome === 'reserved').map((r) => r.used)).size).toBe(100);
    const replays = await Promise.all(inputs.map(reserveOne));
    expect(tally(replays)).toEqual({ replayed: 100, limit_reached: 100 });
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(100);
    expect(await ledgerRows(handle.db, user.accountId)).toBe(100);
  });

  it('the same run id sent 20 times at once is reserved once (and a first-use period is created once)', async () => {
    const user = await makeUser(handle.db);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => reserveOne(runOf(user.owner, 'same', 10))),
    );
    expect(tally(results)).toEqual({ reserved: 1, replayed: 19 });
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(1);
  });

  it('hot tenant: 400 runs in 16 concurrent batches against a limit of 150 admit exactly 150', async () => {
    const user = await makeUser(handle.db);
    const inputs = Array.from({ length: 400 }, (_, i) => runOf(user.owner, `hot-${i}`, 150));
    const results = (await Promise.all(chunks(inputs, 25).map((b) => reserveRuns(handle.db, b)))).flat();
    expect(tally(results)).toEqual({ reserved: 150, limit_reached: 250 });
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(150);
    expect(await ledgerRows(handle.db, user.accountId)).toBe(150);
  });

  it('many tenants, the same run ids racing across batches and single calls: counters == ledger == limit', async () => {
    const users = await Promise.all(Array.from({ length: 120 }, () => makeUser(handle.db, NOW)));
    const inputs = users.flatMap((u) => Array.from({ length: 6 }, (_, i) => runOf(u.owner, `run-${i}`, 4)));
    const reversed = [...inputs].reverse();
    const [batchA, batchB, singles] = await Promise.all([
      Promise.all(chunks(inputs, 240).map((b) => reserveRuns(handle.db, b))),
      Promise.all(chunks(reversed, 180).map((b) => reserveRuns(handle.db, b))),
      Promise.all(inputs.filter((_, i) => i % 3 === 0).map(reserveOne)),
    ]);
    const all = [...batchA.flat(), ...batchB.flat(), ...singles];
    expect(all.filter((r) => r.used > 4)).toEqual([]);
    expect(all.filter((r) => r.outcome === 'reserved')).toHaveLength(120 * 4);
    const totals = await periodTotals(handle.db);
    expect(totals).toHaveLength(120);
    expect(totals.filter((t) => t.used !== 4 || t.held !== 4)).toEqual([]);
  });
});

// Two "server processes" = two pools on one PostgreSQL database (PGlite is single-process by design).
const serverUrl = testPostgresServerUrl();
if (serverUrl) {
  describe('reserveRuns from two pools on one PostgreSQL database', () => {
    it('a run claimed by another statement after this one began takes no place from a later run', async () => {
      const scratch = await createScratchDatabase(serverUrl);
      const first = await createDb({ databaseUrl: scratch.url, poolSize: 2 });
      const other = scratchPool(scratch.url, 1);
      try {
        const { owner } = await makeUser(first.db);
        // The period exists with 5 of 7 used; run x is then claimed by another "process" whose
        // transaction holds the period's lock while this statement starts (its snapshot can't see x).
        await reserveRuns(
          first.db,
          ['a', 'b', 'c', 'd', 'e'].map((id) => runOf(owner, id, 7)),
        );
        const holder = await other.connect();
        await holder.query('begin');
        await holder.query(`select used from usage_periods where account_id = $1 for no key update`, [
          owner.accountId,
        ]);
        await holder.query(
          `insert into usage_ledger (account_id, user_id, run_id, period_id, state, units_reserved, actor_kind,
             actor_id, fingerprint)
           select $1, $2, 'x', p.id, 'reserved', 1, 'service', 'key-1', 'fp:x' from usage_periods p
           where p.account_id = $1`,
          [owner.accountId, owner.userId],
        );
        await holder.query(`update usage_periods set used = used + 1 where account_id = $1`, [
          owner.accountId,
        ]);
        // This statement sends x (a retry of it) and y: it waits for the period's lock.
        const pending = reserveRuns(first.db, [runOf(owner, 'x', 7), runOf(owner, 'y', 7)]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await holder.query('commit');
        holder.release();
        const answers = await pending;
        // x is a replay of the other claim; y takes the last place (6 used + y = 7), not refused.
        expect(answers.map((answer) => answer.outcome)).toEqual(['replayed', 'reserved']);
        expect(await periodTotals(first.db)).toEqual([
          expect.objectContaining({ used: 7, held: 7, run_limit: 7 }),
        ]);
      } finally {
        await Promise.all([first.close(), other.end()]);
        await scratch.drop();
      }
    });

    it('stays exact: limits never exceeded, ledger == counters, each run id reserved once', async () => {
      const scratch = await createScratchDatabase(serverUrl);
      const first = await createDb({ databaseUrl: scratch.url, poolSize: 4 });
      const second = await createDb({ databaseUrl: scratch.url, poolSize: 4 });
      try {
        const users = await Promise.all(Array.from({ length: 40 }, () => makeUser(first.db)));
        const inputs = users.flatMap((u) => Array.from({ length: 10 }, (_, i) => runOf(u.owner, `r${i}`, 7)));
        const results = await Promise.all([
          ...chunks(inputs, 50).map((b) => reserveRuns(first.db, b)),
          ...chunks([...inputs].reverse(), 64).map((b) => reserveRuns(second.db, b)),
        ]);
        // An admitted run id is reserved by one pool and a retry for the other; a refused one is refused
        // by both (a refusal rechecks the ledger, so a concurrent claim is never answered as a refusal).
        expect(tally(results.flat())).toEqual({ reserved: 280, replayed: 280, limit_reached: 240 });
        const totals = await periodTotals(second.db);
        expect(totals).toHaveLength(40);
        expect(totals.every((t) => t.used === 7 && t.held === 7)).toBe(true);
      } finally {
        await Promise.all([first.close(), second.close()]);
        await scratch.drop();
      }
    });
  });
}
