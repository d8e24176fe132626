import { createSession, type Database } from '@tollgate/db';
import type { RunningServer } from '@tollgate/server';
import { runLoad } from './load';
import type { LoadResult, LoadSpec } from './load-spec';
import { accessTokens } from './servers';
import { personalTenant } from './tenants';

export interface HttpFigures {
  /** GET /api/v1/health/live: a bare Express JSON route (no auth, no database), for calibration. */
  bareJson: LoadResult;
  /** The bare authenticated routes: JWT check + one primary-key read, no metering. */
  trpcMe: LoadResult;
  restMe: LoadResult;
  trpcAuthorize: LoadResult;
  restAuthorize: LoadResult;
  /** POST /api/v1/sessions/:id/runs: the metered REST route (authorize + session + run record + runner). */
  restRun: LoadResult;
  trpcAt1000: LoadResult;
  restAt1000: LoadResult;
  /** Half the bare authenticated throughput (capped at 1,000): a rate this machine can sustain. */
  sustainableRate: number;
  trpcAtSustainable: LoadResult;
  restAtSustainable: LoadResult;
  /** The bare authenticated routes at that same rate: the latency floor of this machine and stack. */
  trpcMeAtSustainable: LoadResult;
  restMeAtSustainable: LoadResult;
}

const CONNECTIONS = 50;
/** Sockets the fixed-rate runs may open: enough that requests queue at the server, not the client. */
const PACED_SOCKETS = 200;
const JSON_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer {token}' };

/**
 * Over the wire against the production Express wiring (startServer), 50 connections, 1,000 tenants
 * with their own JWTs, every authorize a new run id of the next tenant. Each authorize route is set
 * against the bare authenticated route of the same transport (`auth.me`), then driven at a fixed
 * 1,000 req/s and at half the bare route's throughput for its latency (a machine that can't serve
 * 1,000 req/s at all only measures its queue at that rate).
 */
export async function measureHttp(
  server: RunningServer,
  db: Database,
  tenantIds: readonly string[],
  durationSeconds: number,
): Promise<HttpFigures> {
  const tokens = await accessTokens(server, tenantIds);
  const sessions = await Promise.all(tenantIds.map((id) => createSession(db, personalTenant(id), 'bench')));
  const tenants = tenantIds.map((_, i) => ({ token: tokens[i] ?? '', session: sessions[i]?.id ?? '' }));
  const base = { baseUrl: server.url, connections: CONNECTIONS, tenants, durationSeconds };
  const get = (path: string): LoadSpec => ({
    ...base,
    method: 'GET',
    path,
    headers: { authorization: 'Bearer {token}' },
  });
  const post = (path: string, body: string, runPrefix: string): LoadSpec => ({
    ...base,
    method: 'POST',
    path,
    headers: JSON_HEADERS,
    body,
    runPrefix,
  });
  const trpcAuthorize = (prefix: string) => post('/api/trpc/usage.authorize', '{"runId":"{i}"}', prefix);
  const restAuthorize = (prefix: string) => post('/api/v1/usage/authorize', '{"runId":"{i}"}', prefix);

  const bareJson = await runLoad({ ...base, method: 'GET', path: '/api/v1/health/live' });
  const trpcMe = await runLoad(get('/api/trpc/auth.me'));
  const restMe = await runLoad(get('/api/v1/auth/me'));
  const sustainableRate = Math.max(
    10,
    Math.min(1000, Math.round(Math.min(trpcMe.perSecond, restMe.perSecond) / 2)),
  );
  return {
    bareJson,
    trpcMe,
    restMe,
    trpcAuthorize: await runLoad(trpcAuthorize('ht-')),
    restAuthorize: await runLoad(restAuthorize('hr-')),
    restRun: await runLoad(
      post('/api/v1/sessions/{session}/runs', '{"runId":"{i}","message":"bench"}', 'hm-'),
    ),
    trpcAt1000: await runLoad({ ...trpcAuthorize('hp-'), connections: PACED_SOCKETS, pacedRate: 1000 }),
    restAt1000: await runLoad({ ...restAuthorize('hq-'), connections: PACED_SOCKETS, pacedRate: 1000 }),
    sustainableRate,
    trpcAtSustainable: await runLoad({
      ...trpcAuthorize('hs-'),
      connections: PACED_SOCKETS,
      pacedRate: sustainableRate,
    }),
    restAtSustainable: await runLoad({
      ...restAuthorize('hu-'),
      connections: PACED_SOCKETS,
      pacedRate: sustainableRate,
    }),
    trpcMeAtSustainable: await runLoad({
      ...get('/api/trpc/auth.me'),
      connections: PACED_SOCKETS,
      pacedRate: sustainableRate,
    }),
    restMeAtSustainable: await runLoad({
      ...get('/api/v1/auth/me'),
      connections: PACED_SOCKETS,
      pacedRate: sustainableRate,
    }),
  };
}

/** 2xx answers of a load run. */
export function successes(result: LoadResult): number {
  return Object.entries(result.statusCodes)
    .filter(([code]) => code.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
}
