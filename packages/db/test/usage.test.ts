import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { consumeRun, countChargedRuns, findLedgerEntry, getUsage, releaseRun, usageLedger } from '../src';
import { makeUser, useTestDb } from './fixtures';

const NOW = new Date('2025-03-10T12:00:00Z');
const PERIOD = { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-04-01T00:00:00Z') };
const NEXT_PERIOD = { start: new Date('2025-04-01T00:00:00Z'), end: new Date('2025-05-01T00:00:00Z') };
const WINDOW_MS = 60_000;

const handle = useTestDb();

function consume(userId: string, runId: string, limit: number, period = PERIOD, now = NOW) {
  return consumeRun(handle.db, { userId, runId, period, limit, now });
}

async function consumeMany(userId: string, total: number, limit: number) {
  const outcomes = [];
  for (let i = 0; i < total; i += 1) outcomes.push(await consume(userId, `run-${i}`, limit));
  return outcomes;
}

async function ledgerRows(userId: string): Promise<number> {
  const [row] = await handle.db
    .select({ n: count() })
    .from(usageLedger)
    .where(eq(usageLedger.userId, userId));
  return row?.n ?? 0;
}

describe('consumeRun', () => {
  it('consumes up to the limit: limit-1 and limit are allowed, limit+1 is refused', async () => {
    const user = await makeUser(handle.db);
    const outcomes = await consumeMany(user.id, 3, 3);
    expect(outcomes).toEqual([
      { outcome: 'consumed', used: 1 },
      { outcome: 'consumed', used: 2 },
      { outcome: 'consumed', used: 3 },
    ]);
    expect(await consume(user.id, 'run-over', 3)).toEqual({ outcome: 'limit_reached', used: 3 });
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(3);
    // The refused run left no ledger row behind (its insert was rolled back)…
    expect(await findLedgerEntry(handle.db, user.id, 'run-over')).toBeNull();
    expect(await ledgerRows(user.id)).toBe(3);
    // …so the same run id is charged normally once the limit allows it.
    expect(await consume(user.id, 'run-over', 4)).toEqual({ outcome: 'consumed', used: 4 });
  });

  it('refuses everything with a limit of 0', async () => {
    const user = await makeUser(handle.db);
    expect(await consume(user.id, 'run-1', 0)).toEqual({ outcome: 'limit_reached', used: 0 });
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(0);
  });

  it('replaying a run id consumes nothing and reports the current counter', async () => {
    const user = await makeUser(handle.db);
    await consume(user.id, 'run-a', 10);
    await consume(user.id, 'run-b', 10);
    expect(await consume(user.id, 'run-a', 10)).toEqual({ outcome: 'replayed', used: 2 });
    // A replay is answered even when the limit has been reached since.
    expect(await consume(user.id, 'run-b', 2)).toEqual({ outcome: 'replayed', used: 2 });
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(2);
    expect(await ledgerRows(user.id)).toBe(2);
  });

  it('a new period start is a new counter, and the old one is kept', async () => {
    const user = await makeUser(handle.db);
    await consumeMany(user.id, 2, 2);
    expect(await consume(user.id, 'run-next-1', 2, NEXT_PERIOD)).toEqual({ outcome: 'consumed', used: 1 });
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(2);
    expect(await getUsage(handle.db, user.id, NEXT_PERIOD.start)).toBe(1);
    expect(await getUsage(handle.db, user.id, new Date('2030-01-01T00:00:00Z'))).toBe(0);
  });

  it('counts each tenant separately, even with the same run ids', async () => {
    const a = await makeUser(handle.db);
    const b = await makeUser(handle.db);
    await consume(a.id, 'shared-run-id', 5);
    expect(await consume(b.id, 'shared-run-id', 5)).toEqual({ outcome: 'consumed', used: 1 });
    expect(await getUsage(handle.db, a.id, PERIOD.start)).toBe(1);
    expect(await countChargedRuns(handle.db, b.id, PERIOD.start)).toBe(1);
  });
});

describe('releaseRun', () => {
  it('releases once: the counter goes down by one, a second release changes nothing', async () => {
    const user = await makeUser(handle.db);
    await consumeMany(user.id, 2, 10);
    const later = new Date(NOW.getTime() + WINDOW_MS);
    expect(
      await releaseRun(handle.db, { userId: user.id, runId: 'run-1', now: later, windowMs: WINDOW_MS }),
    ).toBe('released');
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(1);
    expect(await countChargedRuns(handle.db, user.id, PERIOD.start)).toBe(1);
    expect(
      await releaseRun(handle.db, { userId: user.id, runId: 'run-1', now: later, windowMs: WINDOW_MS }),
    ).toBe('already_released');
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(1);
    // A released run id is spent: retrying it neither charges nor refunds again.
    expect(await consume(user.id, 'run-1', 10)).toEqual({ outcome: 'released', used: 1 });
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(1);
  });

  it('is too late one millisecond after the window', async () => {
    const user = await makeUser(handle.db);
    await consume(user.id, 'run-1', 10);
    const tooLate = new Date(NOW.getTime() + WINDOW_MS + 1);
    expect(
      await releaseRun(handle.db, { userId: user.id, runId: 'run-1', now: tooLate, windowMs: WINDOW_MS }),
    ).toBe('too_late');
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(1);
  });

  it("cannot touch another tenant's run", async () => {
    const owner = await makeUser(handle.db);
    const other = await makeUser(handle.db);
    await consume(owner.id, 'run-1', 10);
    expect(
      await releaseRun(handle.db, { userId: other.id, runId: 'run-1', now: NOW, windowMs: WINDOW_MS }),
    ).toBe('not_found');
    expect(await getUsage(handle.db, owner.id, PERIOD.start)).toBe(1);
    expect((await findLedgerEntry(handle.db, owner.id, 'run-1'))?.releasedAt).toBeNull();
  });

  it('refunds the period the run was charged in', async () => {
    const user = await makeUser(handle.db);
    await consume(user.id, 'old-run', 10);
    await consume(user.id, 'new-run', 10, NEXT_PERIOD);
    expect(
      await releaseRun(handle.db, { userId: user.id, runId: 'old-run', now: NOW, windowMs: WINDOW_MS }),
    ).toBe('released');
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(0);
    expect(await getUsage(handle.db, user.id, NEXT_PERIOD.start)).toBe(1);
  });

  it('concurrent releases of one run refund it exactly once', async () => {
    const user = await makeUser(handle.db);
    await consumeMany(user.id, 3, 10);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        releaseRun(handle.db, { userId: user.id, runId: 'run-0', now: NOW, windowMs: WINDOW_MS }),
      ),
    );
    expect(outcomes.filter((o) => o === 'released')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'already_released')).toHaveLength(9);
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(2);
  });
});

describe('consumeRun under concurrency', () => {
  it('200 concurrent distinct runs against a limit of 100: exactly 100 consumed; replaying them changes nothing', async () => {
    const user = await makeUser(handle.db);
    const runIds = Array.from({ length: 200 }, (_, i) => `concurrent-${i}`);
    const results = await Promise.all(runIds.map((runId) => consume(user.id, runId, 100)));
    expect(results.filter((r) => r.outcome === 'consumed')).toHaveLength(100);
    expect(results.filter((r) => r.outcome === 'limit_reached')).toHaveLength(100);
    // Every consumed run saw a distinct counter value 1..100: no two runs shared a slot.
    const slots = results.filter((r) => r.outcome === 'consumed').map((r) => r.used);
    expect(new Set(slots).size).toBe(100);
    expect(Math.max(...slots)).toBe(100);
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(100);
    expect(await ledgerRows(user.id)).toBe(100);

    const replays = await Promise.all(runIds.map((runId) => consume(user.id, runId, 100)));
    expect(replays.filter((r) => r.outcome === 'replayed')).toHaveLength(100);
    expect(replays.filter((r) => r.outcome === 'limit_reached')).toHaveLength(100);
    expect(replays.filter((r) => r.outcome === 'consumed')).toHaveLength(0);
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(100);
    expect(await ledgerRows(user.id)).toBe(100);
  });

  it('the same run id sent 20 times at once is charged once', async () => {
    const user = await makeUser(handle.db);
    const results = await Promise.all(Array.from({ length: 20 }, () => consume(user.id, 'dup', 100)));
    expect(results.filter((r) => r.outcome === 'consumed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'replayed')).toHaveLength(19);
    expect(await getUsage(handle.db, user.id, PERIOD.start)).toBe(1);
    expect(await ledgerRows(user.id)).toBe(1);
  });
});
