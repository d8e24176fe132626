import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applyPeriodLimit, queryRows, reserveRuns, setMemberCap, settleRun, startRun } from '../src';
import type { Database, ReserveRunInput } from '../src';
import { grant, grantRow, readBooks } from './credit-helpers';
import { makeUser, useTestDb } from './fixtures';
import { overageBooks, PRICE, setSpend } from './overage-helpers';
import { NEXT_PERIOD, NOW, PERIOD, SERVICE, runOf, tally } from './reservation-helpers';
import type { RunOwner } from './reservation-helpers';
import { postgresServerUrl, reserveConcurrently, withTwoPools } from './two-pools';

// An overrun settled after the run's period was left (a paid renewal closes it at what it used): what
// the closed period can't cover is drawn from the period in force, as a reservation made now would be.

const handle = useTestDb();
/** A moment inside NEXT_PERIOD: the account renewed, the old runs are settled now. */
const RENEWED = new Date('2025-04-05T12:00:00Z');

async function startedRuns(db: Database, owner: RunOwner, runs: ReserveRunInput[]) {
  const results = await reserveRuns(db, runs);
  expect(tally(results)).toEqual({ reserved: runs.length });
  for (const run of runs) {
    await startRun(db, { accountId: owner.accountId, runId: run.runId, actor: SERVICE, now: NOW });
  }
}

/** A paid renewal as the subscription sync writes it: NEXT_PERIOD at `limit`, PERIOD closed. */
async function renew(db: Database, accountId: string, limit: number) {
  await applyPeriodLimit(db, { accountId, period: NEXT_PERIOD, limit, previousPeriodStart: PERIOD.start });
}

function settle(
  db: Database,
  owner: RunOwner,
  runId: string,
  actual: number,
  extra: { overagePrice?: string; periodInForce?: { start: Date; end: Date; limit: number } } = {},
) {
  return settleRun(db, { accountId: owner.accountId, runId, actor: SERVICE, actual, now: RENEWED, ...extra });
}

async function charged(result: Awaited<ReturnType<typeof settle>>) {
  expect(result.ok).toBe(true);
  return result.entry?.unitsSettled;
}

/** The account's periods, oldest first: [used, run_limit, overage_used]. */
async function periods(db: Database, accountId: string) {
  const rows = await queryRows<{ used: number; run_limit: number; overage_used: number }>(
    db,
    sql`select used, run_limit, overage_used from usage_periods where account_id = ${accountId}
        order by period_start`,
  );
  return rows.map((row) => [Number(row.used), Number(row.run_limit), Number(row.overage_used)]);
}

/** The member counters of the account's periods, oldest first: [used, run_cap]. */
async function memberCounters(db: Database, owner: RunOwner) {
  const rows = await queryRows<{ used: number; run_cap: number | null }>(
    db,
    sql`select m.used, m.run_cap from member_usage_periods m
        join usage_periods p on p.account_id = m.account_id and p.id = m.period_id
        where m.account_id = ${owner.accountId} and m.user_id = ${owner.userId} order by p.period_start`,
  );
  return rows.map((row) => [Number(row.used), row.run_cap === null ? null : Number(row.run_cap)]);
}

/**
 * readBooks (credit-helpers) with overage as one more bucket: every unit a run is charged is in the
 * allowance it drew, its grant draws or its overage, and the period counters hold them all.
 */
async function expectBalancedBooks(db: Database) {
  const books = await readBooks(db);
  const [overage] = await queryRows<{ held: number; counted: number }>(
    db,
    sql`select (select coalesce(sum(units_overage), 0)::int from usage_ledger where state <> 'released') as held,
          (select coalesce(sum(overage_used), 0)::int from usage_periods) as counted`,
  );
  const unbalanced = await queryRows<{ run_id: string }>(
    db,
    sql`select l.run_id from usage_ledger l
        where (case l.state when 'released' then 0 when 'settled' then l.units_settled else l.units_reserved end)
          <> l.units_from_allowance + l.units_overage
          + (select coalesce(sum(d.units), 0) from run_draws d where d.account_id = l.account_id and d.run_id = l.run_id)`,
  );
  expect(unbalanced).toEqual([]);
  expect(books.unbalancedGrants).toEqual([]);
  expect(Number(overage?.held)).toBe(Number(overage?.counted));
  expect(books.ledgerUnits).toBe(books.bucketUnits + Number(overage?.counted));
}

describe('settle after a renewal: the closed period covers what it can, the period in force the rest', () => {
  it('BASIC renewal: an overrun is charged in full from the new allowance; give-backs still go to the old period', async () => {
    const user = await makeUser(handle.db);
    await startedRuns(handle.db, user.owner, [
      runOf(user.owner, 'x', 100, { units: 5 }),
      runOf(user.owner, 'y', 100, { units: 5 }),
    ]);
    await renew(handle.db, user.accountId, 100);
    expect(await periods(handle.db, user.accountId)).toEqual([
      [10, 10, 0],
      [0, 100, 0],
    ]);

    const x = await settle(handle.db, user.owner, 'x', 40);
    expect(await charged(x)).toBe(40);
    expect(x.entry).toMatchObject({ unitsActual: 40, unitsFromAllowance: 40 });
    // Give-back: y's 4 unused units go back to the period it was reserved in, as before.
    expect(await charged(await settle(handle.db, user.owner, 'y', 1))).toBe(1);
    expect(await periods(handle.db, user.accountId)).toEqual([
      [6, 10, 0],
      [35, 100, 0],
    ]);
    await expectBalancedBooks(handle.db);
  });

  it('the period in force is drawn as a reservation: its allowance, then credits, then overage counted and journaled there', async () => {
    const user = await makeUser(handle.db);
    const pack = await grant(handle.db, user.accountId, 10);
    await setSpend(handle.db, user.accountId, { overageEnabled: true, cap: { runs: 5 } });
    await startedRuns(handle.db, user.owner, [runOf(user.owner, 'x', 10, { units: 2, overagePrice: PRICE })]);
    await renew(handle.db, user.accountId, 20);

    // Asked 40: 2 reserved + 20 of the new allowance + 10 of credits + 5 of overage (the cap) = 37.
    const x = await settle(handle.db, user.owner, 'x', 40, { overagePrice: PRICE });
    expect(await charged(x)).toBe(37);
    expect(x.entry).toMatchObject({ unitsActual: 40, unitsFromAllowance: 22, unitsOverage: 5 });
    expect(await periods(handle.db, user.accountId)).toEqual([
      [2, 2, 0],
      [20, 20, 5],
    ]);
    expect((await grantRow(handle.db, pack.id))?.remaining).toBe(0);
    expect(await overageBooks(handle.db, user.accountId)).toEqual({
      counted: 5,
      held: 5,
      billable: 5,
      journaled: 5,
    });
    // The overage is billed with the period it was counted in (the old period's invoice is final).
    const journal = await queryRows<{ period_start: Date | string; units: number }>(
      handle.db,
      sql`select p.period_start, e.units from overage_entries e
          join usage_periods p on p.account_id = e.account_id and p.id = e.period_id
          where e.account_id = ${user.accountId}`,
    );
    expect(journal.map((row) => [new Date(row.period_start).toISOString(), Number(row.units)])).toEqual([
      [NEXT_PERIOD.start.toISOString(), 5],
    ]);
    const next = runOf(user.owner, 'after', 20, { period: NEXT_PERIOD, now: RENEWED, overagePrice: PRICE });
    expect(tally(await reserveRuns(handle.db, [next]))).toEqual({ spend_cap_reached: 1 });
    await expectBalancedBooks(handle.db);
  });

  it('an attacker reserving 1 and settling 1,000 across a renewal gets no more than the new balance, then is refused', async () => {
    const user = await makeUser(handle.db);
    const cheap = Array.from({ length: 10 }, (_, i) => runOf(user.owner, `cheap-${i}`, 10));
    await startedRuns(handle.db, user.owner, cheap);
    await renew(handle.db, user.accountId, 10);

    const settled = [];
    for (const run of cheap)
      settled.push(await charged(await settle(handle.db, user.owner, run.runId, 1_000)));
    // The first overrun takes the whole new allowance (1 + 10); the rest find nothing left (1 each).
    expect(settled).toEqual([11, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(await periods(handle.db, user.accountId)).toEqual([
      [10, 10, 0],
      [10, 10, 0],
    ]);
    const next = runOf(user.owner, 'after', 10, { period: NEXT_PERIOD, now: RENEWED });
    expect(tally(await reserveRuns(handle.db, [next]))).toEqual({ limit_reached: 1 });
    await expectBalancedBooks(handle.db);
  });

  it('member counters: the part drawn from the new period counts on the member’s new row, within its cap', async () => {
    const user = await makeUser(handle.db);
    await setMemberCap(handle.db, { accountId: user.accountId, userId: user.id, cap: 15, periodStart: null });
    await startedRuns(handle.db, user.owner, [runOf(user.owner, 'x', 100, { units: 5, countsMember: true })]);
    await renew(handle.db, user.accountId, 100);

    // The closed period has no room; the member's new row (created as a reservation would, cap 15) does.
    expect(await charged(await settle(handle.db, user.owner, 'x', 40))).toBe(20);
    expect(await memberCounters(handle.db, user.owner)).toEqual([
      [5, 15],
      [15, 15],
    ]);
    expect(await periods(handle.db, user.accountId)).toEqual([
      [5, 5, 0],
      [15, 100, 0],
    ]);
    const next = runOf(user.owner, 'after', 100, { period: NEXT_PERIOD, now: RENEWED, countsMember: true });
    expect(tally(await reserveRuns(handle.db, [next]))).toEqual({ member_cap_reached: 1 });
    await expectBalancedBooks(handle.db);
  });

  it('the caller’s period in force is used even when the run’s own period still spans now (cancel now), and created if missing', async () => {
    const user = await makeUser(handle.db);
    await startedRuns(handle.db, user.owner, [
      runOf(user.owner, 'x', 100, { units: 5 }),
      runOf(user.owner, 'y', 100, { units: 5 }),
    ]);
    // Canceled now: back to a FREE period that began before the paid one; the paid one is closed.
    const free = { start: new Date('2025-02-20T00:00:00Z'), end: new Date('2025-03-20T00:00:00Z') };
    await applyPeriodLimit(handle.db, {
      accountId: user.accountId,
      period: free,
      limit: 10,
      previousPeriodStart: PERIOD.start,
    });
    const x = await settleRun(handle.db, {
      accountId: user.accountId,
      runId: 'x',
      actor: SERVICE,
      actual: 40,
      now: new Date('2025-03-12T00:00:00Z'),
      periodInForce: { ...free, limit: 10 },
    });
    expect(await charged(x)).toBe(15);
    // A FREE anniversary nobody reserved in yet: its row is made with the caller's limit.
    const y = await settle(handle.db, user.owner, 'y', 40, { periodInForce: { ...NEXT_PERIOD, limit: 10 } });
    expect(await charged(y)).toBe(15);
    expect(await periods(handle.db, user.accountId)).toEqual([
      [10, 10, 0],
      [10, 10, 0],
      [10, 10, 0],
    ]);
    await expectBalancedBooks(handle.db);
  });
});

describe.skipIf(!postgresServerUrl)(
  'settle across a renewal under concurrency (PostgreSQL, two pools)',
  () => {
    it('overruns of old runs racing new reservations: the new balance is drawn exactly, no deadlock, books balance', async () => {
      await withTwoPools(async (a, b) => {
        const user = await makeUser(a);
        const old = Array.from({ length: 20 }, (_, i) =>
          runOf(user.owner, `old-${i}`, 50, { countsMember: true }),
        );
        await startedRuns(a, user.owner, old);
        await grant(a, user.accountId, 30);
        await renew(a, user.accountId, 40);

        // 20 overruns wanting 3 more each (60) and 60 new runs, against 40 allowance + 30 credits = 70.
        const fresh = Array.from({ length: 60 }, (_, i) =>
          runOf(user.owner, `new-${i}`, 40, { period: NEXT_PERIOD, now: RENEWED, countsMember: true }),
        );
        const [settled, reserved] = await Promise.all([
          Promise.all(old.map((run, i) => settle(i % 2 ? a : b, user.owner, run.runId, 4))),
          reserveConcurrently(a, b, fresh),
        ]);
        const overrun = settled.reduce((sum, result) => sum + (result.entry?.unitsSettled ?? 0) - 1, 0);
        const admitted = reserved.filter((result) => result.outcome === 'reserved').length;
        expect(settled.every((result) => result.ok)).toBe(true);
        expect(overrun + admitted).toBe(70);
        expect(await periods(a, user.accountId)).toEqual([
          [20, 20, 0],
          [40, 40, 0],
        ]);
        expect(await memberCounters(a, user.owner)).toEqual([
          [20, null],
          [70, null],
        ]);
        await expectBalancedBooks(a);
      });
    }, 60_000);
  },
);
