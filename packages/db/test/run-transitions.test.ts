import { describe, expect, it } from 'vitest';
import {
  applyPeriodLimit,
  createSession,
  insertRun,
  listRuns,
  sweepUnsettledRuns,
  updateRunStatus,
  findLedgerEntry,
  flagRunForReview,
  getUsage,
  releaseRun,
  reserveRuns,
  settleRun,
  startRun,
  sweepUnstartedRuns,
} from '../src';
import type { Database } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { NOW, PERIOD, SERVICE, periodTotals, runOf, tally } from './reservation-helpers';
import { postgresServerUrl, withTwoPools } from './two-pools';
import type { RunOwner } from './reservation-helpers';

const handle = useTestDb();
const LATER = new Date(NOW.getTime() + 60_000);

async function reserve(db: Database, owner: RunOwner, runIds: string[], limit = 100) {
  return reserveRuns(
    db,
    runIds.map((runId) => runOf(owner, runId, limit)),
  );
}

describe('start: reserved → started, once per run id, ever', () => {
  it('20 concurrent starts of one run: exactly one succeeds, the others learn it started', async () => {
    const user = await makeUser(handle.db);
    await reserve(handle.db, user.owner, ['r']);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        startRun(handle.db, { accountId: user.accountId, runId: 'r', actor: SERVICE, now: LATER }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(19).fill('started'));
    expect(await findLedgerEntry(handle.db, { accountId: user.accountId, runId: 'r' })).toMatchObject({
      state: 'started',
      startedAt: LATER,
    });
  });

  it('only the actor that reserved the run may start it; unknown and released runs are refused', async () => {
    const user = await makeUser(handle.db);
    await reserve(handle.db, user.owner, ['r', 'gone']);
    const intruder = { kind: 'service', id: 'key-2' } as const;
    expect(
      await startRun(handle.db, { accountId: user.accountId, runId: 'r', actor: intruder, now: LATER }),
    ).toMatchObject({
      ok: false,
      reason: 'other_actor',
    });
    expect(
      await startRun(handle.db, { accountId: user.accountId, runId: 'nope', actor: SERVICE, now: LATER }),
    ).toEqual({
      ok: false,
      reason: 'not_found',
      entry: null,
    });
    await releaseRun(handle.db, {
      accountId: user.accountId,
      runId: 'gone',
      actor: SERVICE,
      reason: 'service',
      now: LATER,
    });
    expect(
      await startRun(handle.db, { accountId: user.accountId, runId: 'gone', actor: SERVICE, now: LATER }),
    ).toMatchObject({
      ok: false,
      reason: 'released',
    });
  });

  it('settle: started → settled with the units charged; a reserved run can’t be settled', async () => {
    const user = await makeUser(handle.db);
    await reserve(handle.db, user.owner, ['r', 'not-started']);
    await startRun(handle.db, { accountId: user.accountId, runId: 'r', actor: SERVICE, now: LATER });
    expect(
      await settleRun(handle.db, { accountId: user.accountId, runId: 'r', actor: null, now: LATER }),
    ).toMatchObject({
      ok: true,
      entry: { state: 'settled', unitsSettled: 1, settledAt: LATER },
    });
    expect(
      await settleRun(handle.db, {
        accountId: user.accountId,
        runId: 'not-started',
        actor: null,
        now: LATER,
      }),
    ).toMatchObject({
      ok: false,
      reason: 'reserved',
    });
    await flagRunForReview(handle.db, {
      accountId: user.accountId,
      runId: 'r',
      reason: 'backend_outcome_unknown',
    });
    expect((await findLedgerEntry(handle.db, { accountId: user.accountId, runId: 'r' }))?.reviewReason).toBe(
      'backend_outcome_unknown',
    );
  });
});

describe('release: reserved → released, units back once', () => {
  it('concurrent releases of one run refund it exactly once, into its own period', async () => {
    const user = await makeUser(handle.db);
    await reserve(handle.db, user.owner, ['a', 'b']);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        releaseRun(handle.db, {
          accountId: user.accountId,
          runId: 'a',
          actor: SERVICE,
          reason: 'service',
          now: LATER,
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(1);
    expect(await findLedgerEntry(handle.db, { accountId: user.accountId, runId: 'a' })).toMatchObject({
      state: 'released',
      releaseReason: 'service',
      releasedAt: LATER,
    });
  });

  it('a started run is never released by a caller; only the backend-proven path releases it', async () => {
    const user = await makeUser(handle.db);
    await reserve(handle.db, user.owner, ['r']);
    await startRun(handle.db, { accountId: user.accountId, runId: 'r', actor: SERVICE, now: LATER });
    expect(
      await releaseRun(handle.db, {
        accountId: user.accountId,
        runId: 'r',
        actor: SERVICE,
        reason: 'service',
        now: LATER,
      }),
    ).toMatchObject({ ok: false, reason: 'started' });
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(1);
    const proven = await releaseRun(handle.db, {
      accountId: user.accountId,
      runId: 'r',
      actor: null,
      reason: 'backend_not_started',
      now: LATER,
      from: 'started',
    });
    expect(proven.ok).toBe(true);
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(0);
  });

  it("another tenant's or another actor's release changes nothing", async () => {
    const alice = await makeUser(handle.db);
    const bob = await makeUser(handle.db);
    await reserve(handle.db, alice.owner, ['r']);
    expect(
      await releaseRun(handle.db, {
        accountId: bob.accountId,
        runId: 'r',
        actor: SERVICE,
        reason: 'service',
        now: LATER,
      }),
    ).toMatchObject({ ok: false, reason: 'not_found' });
    expect(
      await releaseRun(handle.db, {
        accountId: alice.accountId,
        runId: 'r',
        actor: { kind: 'user', id: alice.id },
        reason: 'service',
        now: LATER,
      }),
    ).toMatchObject({ ok: false, reason: 'other_actor' });
    expect(await getUsage(handle.db, alice.accountId, PERIOD.start)).toBe(1);
  });
});

describe('sweepUnstartedRuns', () => {
  it('releases only runs still reserved before the cutoff, once; started and recent runs stay', async () => {
    const user = await makeUser(handle.db);
    await reserve(handle.db, user.owner, ['old-1', 'old-2', 'old-started']);
    await startRun(handle.db, {
      accountId: user.accountId,
      runId: 'old-started',
      actor: SERVICE,
      now: LATER,
    });
    await reserveRuns(handle.db, [runOf(user.owner, 'recent', 100, { now: LATER })]);
    const cutoff = new Date(NOW.getTime() + 1);
    const swept = await sweepUnstartedRuns(handle.db, { reservedBefore: cutoff, now: LATER, limit: 100 });
    expect(swept.map((s) => s.runId).sort()).toEqual(['old-1', 'old-2']);
    expect(swept.every((s) => s.accountId === user.accountId && s.userId === user.id)).toBe(true);
    expect(await sweepUnstartedRuns(handle.db, { reservedBefore: cutoff, now: LATER, limit: 100 })).toEqual(
      [],
    );
    expect(await getUsage(handle.db, user.accountId, PERIOD.start)).toBe(2);
    expect(await findLedgerEntry(handle.db, { accountId: user.accountId, runId: 'old-1' })).toMatchObject({
      state: 'released',
      releaseReason: 'start_timeout',
    });
  });
});

describe('sweepUnsettledRuns', () => {
  it('settles a started run at its estimate; a session run left started is finished unconfirmed and flagged', async () => {
    const user = await makeUser(handle.db);
    const session = await createSession(handle.db, user.owner, 'Research', NOW);
    await reserve(handle.db, user.owner, ['session-run', 'service-run', 'answered']);
    for (const runId of ['session-run', 'service-run', 'answered']) {
      await startRun(handle.db, { accountId: user.accountId, runId, actor: SERVICE, now: NOW });
    }
    // The session's request ended (a crash) between the start and the record of the agent's answer.
    await insertRun(handle.db, {
      owner: user.owner,
      sessionId: session.id,
      runId: 'session-run',
      prompt: 'Go',
      now: NOW,
    });
    // This one was answered and recorded; its settle was lost.
    await insertRun(handle.db, {
      owner: user.owner,
      sessionId: session.id,
      runId: 'answered',
      prompt: 'Go',
      now: NOW,
    });
    await updateRunStatus(handle.db, user.owner, 'answered', {
      status: 'completed',
      reply: 'done',
      now: NOW,
    });

    const swept = await sweepUnsettledRuns(handle.db, { startedBefore: LATER, now: LATER, limit: 100 });
    expect(swept.map((s) => s.runId).sort()).toEqual(['answered', 'service-run', 'session-run']);
    for (const runId of ['answered', 'service-run', 'session-run']) {
      expect(await findLedgerEntry(handle.db, { accountId: user.accountId, runId })).toMatchObject({
        state: 'settled',
        unitsSettled: 1,
        reviewReason: runId === 'session-run' ? 'backend_outcome_unknown' : null,
      });
    }
    const runs = await listRuns(handle.db, user.owner, session.id);
    expect(runs.map((run) => [run.runId, run.status, run.finishedAt]).sort()).toEqual([
      ['answered', 'completed', NOW],
      ['session-run', 'unconfirmed', LATER],
    ]);
    expect(await sweepUnsettledRuns(handle.db, { startedBefore: LATER, now: LATER, limit: 100 })).toEqual([]);
  });
});

describe('applyPeriodLimit: a plan change where admission reads it', () => {
  it('a downgrade lowers the limit of the period in force; a left paid period is closed', async () => {
    const user = await makeUser(handle.db);
    await reserve(handle.db, user.owner, ['a', 'b', 'c'], 1000);
    await applyPeriodLimit(handle.db, {
      accountId: user.accountId,
      period: PERIOD,
      limit: 2,
      previousPeriodStart: null,
    });
    expect((await reserve(handle.db, user.owner, ['d'], 1000))[0]?.outcome).toBe('limit_reached');
    const next = { start: PERIOD.end, end: new Date(PERIOD.end.getTime() + 30 * 86_400_000) };
    await applyPeriodLimit(handle.db, {
      accountId: user.accountId,
      period: next,
      limit: 100,
      previousPeriodStart: PERIOD.start,
    });
    // The old period takes no more runs even for a caller that still believes in it with a high limit.
    const [row] = await periodTotals(handle.db).then((rows) => rows.filter((r) => r.held === 3));
    expect(row?.run_limit).toBeLessThanOrEqual(3);
    expect((await reserve(handle.db, user.owner, ['e'], 1000))[0]?.outcome).toBe('limit_reached');
    expect(await getUsage(handle.db, user.accountId, next.start)).toBe(0);
  });
});

// Real concurrency between processes: two pools on one PostgreSQL database.
if (postgresServerUrl) {
  describe('on PostgreSQL with two pools', () => {
    const twoPools = withTwoPools;

    it('two sweepers racing release each expired run exactly once', async () => {
      await twoPools(async (a, b) => {
        const users = await Promise.all(Array.from({ length: 30 }, () => makeUser(a)));
        for (const user of users) await reserve(a, user.owner, ['r1', 'r2', 'r3', 'r4']);
        const cutoff = new Date(NOW.getTime() + 1);
        const sweeps = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            sweepUnstartedRuns(i % 2 ? a : b, { reservedBefore: cutoff, now: LATER, limit: 25 }),
          ),
        );
        const again = await sweepUnstartedRuns(a, { reservedBefore: cutoff, now: LATER, limit: 1000 });
        const released = [...sweeps.flat(), ...again].map((s) => `${s.accountId}/${s.runId}`);
        expect(released).toHaveLength(120);
        expect(new Set(released).size).toBe(120);
        expect((await periodTotals(a)).every((t) => t.used === 0 && t.held === 0)).toBe(true);
      });
    });

    it('a downgrade racing with reservations never lets a period end above its new limit', async () => {
      await twoPools(async (a, b) => {
        const users = await Promise.all(Array.from({ length: 20 }, () => makeUser(a)));
        // Round-robin over the tenants (run i of each, then run i + 1): every group advances every
        // tenant a little, so wherever the downgrade lands, tenants are mid-way.
        const inputs = Array.from({ length: 60 }, (_, i) =>
          users.map((u) => runOf(u.owner, `r${i}`, 1000)),
        ).flat();
        const batches = [];
        for (let i = 0; i < inputs.length; i += 40) batches.push(inputs.slice(i, i + 40));
        const pending = batches.map((batch, i) => reserveRuns(i % 2 ? a : b, batch));
        const reservations = Promise.all(pending);
        // Mid-load (once a first group has committed), every tenant goes from 1,000 runs to 25.
        await Promise.race(pending);
        const downgrades = Promise.all(
          users.map((u) =>
            applyPeriodLimit(b, {
              accountId: u.accountId,
              period: PERIOD,
              limit: 25,
              previousPeriodStart: null,
            }),
          ),
        );
        const [results, changes] = await Promise.all([reservations, downgrades]);
        const usedAtChange = new Map(users.map((u, i) => [u.accountId, changes[i]?.usedAtChange ?? -1]));
        const totals = await periodTotals(a);
        expect(totals).toHaveLength(20);
        // Runs admitted before the new limit took hold stay admitted; none was admitted past it after.
        const overNewLimit = totals.filter(
          (t) => t.used > Math.max(25, usedAtChange.get(t.account_id) ?? -1),
        );
        expect(overNewLimit).toEqual([]);
        expect(totals.every((t) => t.run_limit === 25 && t.used === t.held)).toBe(true);
        expect(tally(results.flat()).reserved).toBe(totals.reduce((sum, t) => sum + t.held, 0));
        // The load was really mixed with the change: some tenants were mid-way when it landed.
        expect([...usedAtChange.values()].some((used) => used > 0 && used < 60)).toBe(true);
      });
    });
  });
}
