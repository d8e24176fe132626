import type { Services } from '@tollgate/api';
import {
  applyPeriodLimit,
  createDb,
  personalAccountId,
  queryRows,
  reserveRuns,
  sweepUnstartedRuns,
  type Database,
} from '@tollgate/db';
import { AppError } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { runClosedLoop } from './closed-loop';
import { BENCH_SERVICE } from './service-authorize';
import { personalTenant, seedTenants, usageTotals, type UsageTotals } from './tenants';

/** The run lifecycle's guarantees, checked under load (issue: every run paid for exactly once). */
export interface LifecycleExactness {
  replayAfterDelete: {
    tenants: number;
    attempts: number;
    /** Agent runs started, per tenant at most (must be ≤ the FREE limit). */
    maxStartsPerTenant: number;
    startsOverLimit: number;
    totals: UsageTotals;
    isExact: boolean;
  };
  concurrentSessions: {
    tenants: number;
    calls: number;
    runIds: number;
    starts: number;
    inProgress: number;
    storedOutcomes: number;
    otherErrors: number;
    totals: UsageTotals;
    isExact: boolean;
  };
  downgrade: {
    tenants: number;
    calls: number;
    /** Periods whose counter ended above max(new limit, what they had used when it took hold). */
    overNewLimit: number;
    midway: number;
    totals: UsageTotals;
    isExact: boolean;
  };
  sweep: { reserved: number; released: number; distinct: number; totals: UsageTotals; isExact: boolean };
}

const FREE_LIMIT = 10;

export async function checkLifecycleExactness(
  services: Services,
  db: Database,
  databaseUrl: string,
): Promise<LifecycleExactness> {
  return {
    replayAfterDelete: await replayAfterDelete(services, db),
    concurrentSessions: await concurrentSessions(services, db),
    downgrade: await downgradeMidLoad(services, db),
    sweep: await sweepWithTwoPools(db, databaseUrl),
  };
}

/** 100 FREE accounts, 30 attempts each: a paid run id replayed in fresh sessions, honest new runs after. */
async function replayAfterDelete(services: Services, db: Database) {
  const tenants = Array.from({ length: 100 }, (_, i) => `rad-${String(i).padStart(5, '0')}`);
  const attempts = 30;
  await Promise.all(
    tenants.map(async (userId) => {
      const tenant = personalTenant(userId);
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        const session = await services.sessions.create(tenant, undefined);
        const runId = attempt < 15 ? 'paid-once' : `fresh-${attempt}`;
        await services.sessions
          .run(tenant, { sessionId: session.id, runId, message: `attempt ${attempt}` })
          .catch(() => undefined);
        await services.sessions.delete(tenant, session.id);
      }
    }),
  );
  const starts = await startsPerTenant(db, 'rad');
  const maxStartsPerTenant = Math.max(0, ...starts.values());
  const startsOverLimit = [...starts.values()].filter((n) => n > FREE_LIMIT).length;
  const totals = await usageTotals(db, 'rad');
  const isExact =
    startsOverLimit === 0 &&
    totals.overLimit === 0 &&
    totals.mismatched === 0 &&
    totals.ledger === sum(starts);
  return { tenants: tenants.length, attempts, maxStartsPerTenant, startsOverLimit, totals, isExact };
}

/** 20 accounts × 200 concurrent sessions.run: 50 run ids, each sent 4 times with the same message. */
async function concurrentSessions(services: Services, db: Database) {
  const tenants = await seedTenants(db, 'cs', 20, 1000);
  let inProgress = 0;
  let storedOutcomes = 0;
  let otherErrors = 0;
  const firsts = new Set<string>();
  await Promise.all(
    tenants.map(async (userId) => {
      const tenant = personalTenant(userId);
      const session = await services.sessions.create(tenant, undefined);
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const runId = `run-${Math.floor(i / 4)}`;
          try {
            const answer = await services.sessions.run(tenant, {
              sessionId: session.id,
              runId,
              message: `task ${runId}`,
            });
            const key = `${userId}/${runId}`;
            if (firsts.has(key)) storedOutcomes += 1;
            else firsts.add(key);
            void answer;
          } catch (error) {
            if (error instanceof AppError && error.code === 'RUN_IN_PROGRESS') inProgress += 1;
            else otherErrors += 1;
          }
        }),
      );
    }),
  );
  const starts = await startsPerTenant(db, 'cs');
  const totals = await usageTotals(db, 'cs');
  const isExact =
    otherErrors === 0 &&
    [...starts.values()].every((n) => n === 50) &&
    starts.size === tenants.length &&
    totals.ledger === tenants.length * 50 &&
    totals.used === totals.ledger &&
    totals.mismatched === 0;
  return {
    tenants: tenants.length,
    calls: tenants.length * 200,
    runIds: tenants.length * 50,
    starts: sum(starts),
    inProgress,
    storedOutcomes,
    otherErrors,
    totals,
    isExact,
  };
}

/** 100 accounts at 1,000 runs under 512 callers; halfway, every one is downgraded to 25. */
async function downgradeMidLoad(services: Services, db: Database) {
  const tenants = await seedTenants(db, 'dg', 100, 1000);
  const periods = await queryRows<{
    account_id: string;
    period_start: Date | string;
    period_end: Date | string;
  }>(
    db,
    sql`select s.account_id, s.current_period_start as period_start, s.current_period_end as period_end
        from subscriptions s join accounts a on a.id = s.account_id where a.personal_user_id like 'dg-%'`,
  );
  const usedAtChange = new Map<string, number>();
  const downgrade = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 700));
    await Promise.all(
      periods.map(async (p) => {
        // What the webhook sync does in the transaction that stores the new plan.
        const { usedAtChange: used } = await db.transaction(async (tx) => {
          await tx.execute(
            sql`update subscriptions set custom_run_limit = 25 where account_id = ${p.account_id}`,
          );
          return applyPeriodLimit(tx, {
            accountId: p.account_id,
            period: { start: new Date(p.period_start), end: new Date(p.period_end) },
            limit: 25,
            previousPeriodStart: null,
          });
        });
        usedAtChange.set(p.account_id, used);
      }),
    );
  })();
  const loop = runClosedLoop(
    (n) =>
      services.usage.authorize(BENCH_SERVICE, personalTenant(tenants[n % tenants.length] ?? ''), `dg-${n}`),
    { concurrency: 512, durationMs: 1500 },
  );
  const [result] = await Promise.all([loop, downgrade]);
  const rows = await queryRows<{ account_id: string; used: number }>(
    db,
    sql`select p.account_id, p.used from usage_periods p join accounts a on a.id = p.account_id
        where a.personal_user_id like 'dg-%'`,
  );
  const overNewLimit = rows.filter((r) => r.used > Math.max(25, usedAtChange.get(r.account_id) ?? -1)).length;
  const midway = [...usedAtChange.values()].filter((used) => used > 0 && used < 1000).length;
  const totals = await usageTotals(db, 'dg');
  const isExact = overNewLimit === 0 && totals.mismatched === 0 && rows.length === tenants.length;
  return {
    tenants: tenants.length,
    calls: result.operations + result.failures,
    overNewLimit,
    midway,
    totals,
    isExact,
  };
}

/** 2,000 runs reserved and never started; four sweepers on two pools release each of them once. */
async function sweepWithTwoPools(db: Database, databaseUrl: string) {
  const tenants = await seedTenants(db, 'sw', 200, 1000);
  // Reserved "long ago", so the sweeps' cutoff takes these runs and none of the other sections'.
  const longAgo = new Date('2020-01-15T00:00:00Z');
  const period = { start: new Date('2020-01-01T00:00:00Z'), end: new Date('2020-02-01T00:00:00Z') };
  await reserveRuns(
    db,
    tenants.flatMap((userId) =>
      Array.from({ length: 10 }, (_, i) => ({
        accountId: personalAccountId(userId),
        userId,
        countsMember: false,
        runId: `never-started-${i}`,
        period,
        limit: 1000,
        units: 1,
        isBlocked: false,
        fingerprint: `sweep-${i}`,
        actor: BENCH_SERVICE,
        now: longAgo,
      })),
    ),
  );
  const second = await createDb({ databaseUrl, migrate: false, poolSize: 4 });
  try {
    const cutoff = new Date('2020-02-01T00:00:00Z');
    const now = new Date();
    const swept = await Promise.all(
      [db, second.db, db, second.db].map(async (pool) => {
        const runs = [];
        for (;;) {
          const batch = await sweepUnstartedRuns(pool, { reservedBefore: cutoff, now, limit: 150 });
          runs.push(...batch);
          // Done when no run is left to sweep: a short or empty batch only means other sweepers
          // released the rows this one picked.
          if (batch.length === 0 && (await reservedBefore(pool, cutoff)) === 0) return runs;
        }
      }),
    );
    const released = swept.flat().map((run) => `${run.accountId}/${run.runId}`);
    const totals = await usageTotals(db, 'sw');
    const distinct = new Set(released).size;
    // The bench's servers run their own sweeper (the replica that leads) on this database too: it may
    // release some of these runs first. Exact means none released twice (each answer distinct) and
    // every one released once in all (no charge left, counters equal to the ledger).
    const isExact =
      distinct === released.length && totals.used === 0 && totals.ledger === 0 && totals.mismatched === 0;
    return { reserved: 2000, released: released.length, distinct, totals, isExact };
  } finally {
    await second.close();
  }
}

/** Runs still reserved (never started, not released) from before `cutoff`. */
async function reservedBefore(db: Database, cutoff: Date): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from usage_ledger where state = 'reserved' and reserved_at < ${cutoff}`,
  );
  return row?.n ?? 0;
}

/** Agent runs started (session runs recorded) per personal account of the users with the prefix. */
async function startsPerTenant(db: Database, prefix: string): Promise<Map<string, number>> {
  const rows = await queryRows<{ account_id: string; n: number }>(
    db,
    sql`select r.account_id, count(*)::int as n from agent_runs r join accounts a on a.id = r.account_id
        where a.personal_user_id like ${`${prefix}-%`} group by r.account_id`,
  );
  return new Map(rows.map((r) => [r.account_id, r.n]));
}

function sum(map: ReadonlyMap<string, number>): number {
  return [...map.values()].reduce((a, b) => a + b, 0);
}
