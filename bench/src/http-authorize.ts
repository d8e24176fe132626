import { createSession, type Database } from '@tollgate/db';
import type { RunningServer } from '@tollgate/server';
import { runLoad } from './load';
import type { LoadResult } from './load-spec';
import { accessTokens } from './servers';

export interface HttpFigures {
  bare: LoadResult;
  trpcAuthorize: LoadResult;
  restRun: LoadResult;
  trpcAt1000: LoadResult;
  restAt1000: LoadResult;
  /** The rate of the two runs below: half the bare route's throughput (what this machine can sustain). */
  sustainableRate: number;
  trpcAtSustainable: LoadResult;
  restAtSustainable: LoadResult;
}

const CONNECTIONS = 50;
const JSON_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer {token}' };

/**
 * Over the wire, against the production Express wiring, every request a new run id of the next tenant:
 * - bare authenticated route: tRPC `auth.me` (JWT check + one primary-key read),
 * - tRPC `usage.authorize` (JWT, subscription read, grouped commit),
 * - REST `POST /api/v1/sessions/:id/runs`, the metered REST route: session check + authorize + the run
 *   record + the (local) agent runner,
 * then both authorize routes again at a fixed 1,000 req/s for their latency, and at half the bare
 * route's throughput (a machine that can't serve 1,000 req/s at all only queues at that rate).
 */
export async function measureHttp(
  server: RunningServer,
  db: Database,
  tenantIds: readonly string[],
  durationSeconds: number,
): Promise<HttpFigures> {
  const tokens = await accessTokens(server, tenantIds);
  const sessions = await Promise.all(tenantIds.map((id) => createSession(db, id, 'bench')));
  const tenants = tenantIds.map((_, i) => ({ token: tokens[i] ?? '', session: sessions[i]?.id ?? '' }));
  const base = { baseUrl: server.url, connections: CONNECTIONS, tenants };
  const trpcAuthorize = {
    ...base,
    method: 'POST' as const,
    path: '/api/trpc/usage.authorize',
    headers: JSON_HEADERS,
    body: '{"runId":"{i}"}',
  };
  const restRun = {
    ...base,
    method: 'POST' as const,
    path: '/api/v1/sessions/{session}/runs',
    headers: JSON_HEADERS,
    body: '{"runId":"{i}","message":"bench"}',
  };

  const bare = await runLoad({
    ...base,
    method: 'GET',
    path: '/api/trpc/auth.me',
    headers: { authorization: 'Bearer {token}' },
    durationSeconds,
  });
  const sustainableRate = Math.max(10, Math.min(1000, Math.round(bare.perSecond / 2)));
  return {
    bare,
    trpcAuthorize: await runLoad({ ...trpcAuthorize, runPrefix: 'ht-', durationSeconds }),
    restRun: await runLoad({ ...restRun, runPrefix: 'hr-', durationSeconds }),
    trpcAt1000: await runLoad({ ...trpcAuthorize, runPrefix: 'hp-', durationSeconds, overallRate: 1000 }),
    restAt1000: await runLoad({ ...restRun, runPrefix: 'hq-', durationSeconds, overallRate: 1000 }),
    sustainableRate,
    trpcAtSustainable: await runLoad({
      ...trpcAuthorize,
      runPrefix: 'hs-',
      durationSeconds,
      overallRate: sustainableRate,
    }),
    restAtSustainable: await runLoad({
      ...restRun,
      runPrefix: 'hu-',
      durationSeconds,
      overallRate: sustainableRate,
    }),
  };
}

/** 2xx answers of a load run. */
export function successes(result: LoadResult): number {
  return Object.entries(result.statusCodes)
    .filter(([code]) => code.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
}
