import { createDb, type DbHandle } from '@tollgate/db';
import type { RunningServer } from '@tollgate/server';
import { runLoad } from './load';
import type { LoadResult } from './load-spec';
import { accessTokens, startBenchServer } from './servers';
import { seedTenants, usageTotals, type UsageTotals } from './tenants';

export interface TwoServerExactness {
  tenants: number;
  limit: number;
  runIdsPerTenant: number;
  first: LoadResult;
  second: LoadResult;
  totals: UsageTotals;
  /** 200 answers expected: every admitted run id answered once as consumed and once as a replay. */
  expectedOk: number;
  expectedDenied: number;
  ok: number;
  denied: number;
  isExact: boolean;
}

const TENANTS = 200;
const LIMIT = 20;
const RUN_IDS = 40;

/**
 * Two server processes on one database (each its own pool and its own batcher), loaded at the same
 * time over HTTP with the same run ids in different orders: every run id reaches both. Each account
 * must end exactly at its limit, ledger rows == counters, every admitted run answered 200 twice (once
 * consumed, once a replay that consumed nothing) and every other one 402 twice.
 */
export async function checkTwoServers(
  databaseUrl: string,
  first: RunningServer,
): Promise<TwoServerExactness> {
  const secondDb: DbHandle = await createDb({ databaseUrl, migrate: false });
  const second = await startBenchServer(secondDb, { batchWindowMs: 2 });
  try {
    const ids = await seedTenants(first.db.db, 'x2', TENANTS, LIMIT);
    const tokens = await accessTokens(first, ids);
    const requests = ids.flatMap((_, t) =>
      Array.from({ length: RUN_IDS }, (_, r) => ({
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[t] ?? ''}` },
        body: JSON.stringify({ runId: `x2-${r}` }),
      })),
    );
    const shuffled = shuffle([...requests], 42);
    const common = { connections: 50, method: 'POST' as const, path: '/api/trpc/usage.authorize' };
    const [a, b] = await Promise.all([
      runLoad({ ...common, baseUrl: first.url, amount: requests.length }, requests),
      runLoad({ ...common, baseUrl: second.url, amount: shuffled.length }, shuffled),
    ]);
    const totals = await usageTotals(first.db.db, 'x2');
    const ok = (a.statusCodes['200'] ?? 0) + (b.statusCodes['200'] ?? 0);
    const denied = (a.statusCodes['402'] ?? 0) + (b.statusCodes['402'] ?? 0);
    const expectedOk = 2 * TENANTS * LIMIT;
    const expectedDenied = 2 * TENANTS * (RUN_IDS - LIMIT);
    const isExact =
      totals.used === TENANTS * LIMIT &&
      totals.ledger === TENANTS * LIMIT &&
      totals.overLimit === 0 &&
      totals.mismatched === 0 &&
      ok === expectedOk &&
      denied === expectedDenied;
    return {
      tenants: TENANTS,
      limit: LIMIT,
      runIdsPerTenant: RUN_IDS,
      first: a,
      second: b,
      totals,
      expectedOk,
      expectedDenied,
      ok,
      denied,
      isExact,
    };
  } finally {
    await second.close();
    await secondDb.close();
  }
}

/** Deterministic Fisher–Yates (a fixed seed keeps runs comparable). */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
