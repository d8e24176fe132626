import { createSession, type Database } from '@tollgate/db';
import type { RunningServer } from '@tollgate/server';
import { runLoad } from './load';
import type { LoadResult, LoadSpec } from './load-spec';
import { inRounds, medianOf, ROUNDS } from './median';
import { accessTokens } from './servers';
import { personalTenant } from './tenants';

/**
 * A load run with the server's CPU time per answered request. The server runs in this process and
 * autocannon in a child, so this process's CPU time during the run is the server's: a figure that
 * moves far less with the machine's other load than a throughput does.
 */
export interface ServedLoad extends LoadResult {
  serverCpuUsPerRequest: number;
}

/** One round of the throughput ratios: each authorize route right after its bare authenticated route. */
export interface HttpRound {
  /** The bare JSON route again in this round: the baseline of issue 20's ratios. */
  bareJson: ServedLoad;
  /** The bare authenticated routes: JWT check + one primary-key read, no metering. */
  trpcMe: ServedLoad;
  trpcAuthorize: ServedLoad;
  restMe: ServedLoad;
  restAuthorize: ServedLoad;
}

/** One round of the latency ratios at the sustainable rate: authorize, then the bare route, per transport. */
export interface PacedRound {
  trpcAtSustainable: LoadResult;
  /** The bare authenticated routes at that same rate: the latency floor of this machine and stack. */
  trpcMeAtSustainable: LoadResult;
  restAtSustainable: LoadResult;
  restMeAtSustainable: LoadResult;
  /**
   * Issue 20's latency figure as asked: the bare JSON route, then each transport's authorize, at half
   * the bare JSON route's throughput (above what authorize sustains on a small machine, whose answers
   * then queue: that is the finding, not a fault of the load).
   */
  bareJsonAtHalfBare: LoadResult;
  trpcAtHalfBare: LoadResult;
  restAtHalfBare: LoadResult;
}

export interface HttpFigures {
  /** GET /api/v1/health/live: a bare Express JSON route (no auth, no database), for calibration. */
  bareJson: LoadResult;
  /** ROUNDS rounds; the report gives the median of each figure and of each round's ratio. */
  rounds: HttpRound[];
  /** POST /api/v1/sessions/:id/runs: the metered REST route (authorize + session + run record + runner). */
  restRun: LoadResult;
  trpcAt1000: LoadResult;
  restAt1000: LoadResult;
  /** Half the median bare authenticated throughput (capped at 1,000): a rate this machine can sustain. */
  sustainableRate: number;
  /** Half the median throughput of the bare JSON route in the rounds, uncapped. */
  halfBareRate: number;
  paced: PacedRound[];
}

const CONNECTIONS = 50;
const WARM_UP_SECONDS = 1;
/** Sockets the fixed-rate runs may open: enough that requests queue at the server, not the client. */
const PACED_SOCKETS = 200;
const JSON_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer {token}' };

/**
 * Over the wire against the production Express wiring (startServer), 50 connections, 1,000 tenants
 * with their own JWTs, every authorize a new run id of the next tenant. Each authorize route is set
 * against the bare authenticated route of the same transport (`auth.me`), then driven at a fixed
 * 1,000 req/s and at half the bare route's throughput for its latency (a machine that can't serve
 * 1,000 req/s at all only measures its queue at that rate). The ratio figures are measured in ROUNDS
 * rounds (see median.ts); the metered route and the fixed 1,000 req/s runs, information only, once.
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

  const paced = (spec: LoadSpec, rate: number): LoadSpec => ({
    ...spec,
    connections: PACED_SOCKETS,
    pacedRate: rate,
  });

  // A fresh server answers its first routes 30–50 % slower while the JIT warms up, and each round
  // below starts with tRPC: warm both transports (and the bare route) first, results thrown away.
  // GET routes only, so the warm-up charges no run.
  for (const path of ['/api/v1/health/live', '/api/trpc/auth.me', '/api/v1/auth/me']) {
    await runLoad({ ...get(path), durationSeconds: WARM_UP_SECONDS });
  }
  const bareJson = await runLoad({ ...base, method: 'GET', path: '/api/v1/health/live' });
  const rounds = await inRounds(ROUNDS, async (round) => ({
    bareJson: await runServedLoad({ ...base, method: 'GET', path: '/api/v1/health/live' }),
    trpcMe: await runServedLoad(get('/api/trpc/auth.me')),
    trpcAuthorize: await runServedLoad(trpcAuthorize(`ht${round}-`)),
    restMe: await runServedLoad(get('/api/v1/auth/me')),
    restAuthorize: await runServedLoad(restAuthorize(`hr${round}-`)),
  }));
  const bare = Math.min(
    medianOf(rounds, (r) => r.trpcMe.perSecond),
    medianOf(rounds, (r) => r.restMe.perSecond),
  );
  const sustainableRate = Math.max(10, Math.min(1000, Math.round(bare / 2)));
  const halfBareRate = Math.max(10, Math.round(medianOf(rounds, (r) => r.bareJson.perSecond) / 2));
  const restRun = await runLoad(
    post('/api/v1/sessions/{session}/runs', '{"runId":"{i}","message":"bench"}', 'hm-'),
  );
  const trpcAt1000 = await runLoad(paced(trpcAuthorize('hp-'), 1000));
  const restAt1000 = await runLoad(paced(restAuthorize('hq-'), 1000));
  const pacedRounds = await inRounds(ROUNDS, async (round) => ({
    trpcAtSustainable: await runLoad(paced(trpcAuthorize(`hs${round}-`), sustainableRate)),
    trpcMeAtSustainable: await runLoad(paced(get('/api/trpc/auth.me'), sustainableRate)),
    restAtSustainable: await runLoad(paced(restAuthorize(`hu${round}-`), sustainableRate)),
    restMeAtSustainable: await runLoad(paced(get('/api/v1/auth/me'), sustainableRate)),
    bareJsonAtHalfBare: await runLoad(
      paced({ ...base, method: 'GET', path: '/api/v1/health/live' }, halfBareRate),
    ),
    trpcAtHalfBare: await runLoad(paced(trpcAuthorize(`hv${round}-`), halfBareRate)),
    restAtHalfBare: await runLoad(paced(restAuthorize(`hw${round}-`), halfBareRate)),
  }));
  return {
    bareJson,
    rounds,
    restRun,
    trpcAt1000,
    restAt1000,
    sustainableRate,
    halfBareRate,
    paced: pacedRounds,
  };
}

/** runLoad, with this process's CPU time (the in-process server's) per request of the run. */
async function runServedLoad(spec: LoadSpec): Promise<ServedLoad> {
  const before = process.cpuUsage();
  const result = await runLoad(spec);
  const used = process.cpuUsage(before);
  return { ...result, serverCpuUsPerRequest: (used.user + used.system) / Math.max(1, result.requests) };
}

/** Every authorize run of these figures (each charges runs): for the ledger check. */
export function authorizeRuns(http: HttpFigures): LoadResult[] {
  return [
    ...http.rounds.flatMap((r) => [r.trpcAuthorize, r.restAuthorize]),
    http.restRun,
    http.trpcAt1000,
    http.restAt1000,
    ...http.paced.flatMap((r) => [
      r.trpcAtSustainable,
      r.restAtSustainable,
      r.trpcAtHalfBare,
      r.restAtHalfBare,
    ]),
  ];
}

/** 2xx answers of a load run. */
export function successes(result: LoadResult): number {
  return Object.entries(result.statusCodes)
    .filter(([code]) => code.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
}
